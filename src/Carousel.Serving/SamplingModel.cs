using Carousel.Models;
using Carousel.Tensors;

namespace Carousel.Serving;

/// <summary>A served model that writes text one character at a time: the character model and the conditioned generator.</summary>
public abstract class SamplingModel(string name, string path, long step) : ServedModel(name, path, step)
{
    /// <summary>
    /// The characters as they are drawn, at most <paramref name="length"/>. Whatever is wrong with the request is thrown
    /// here, before the first character (the stream has not started, so it can still be answered with a 4xx).
    /// </summary>
    public abstract IEnumerable<string> Sample(SampleRequest request, int length, Rng rng);

    /// <summary>The request's sampling settings, checked.</summary>
    protected static SamplingOptions Options(SampleRequest request)
    {
        var options = new SamplingOptions(request.Temperature ?? 1f, request.TopK ?? 0, request.Argmax);
        options.Validate();
        return options;
    }
}
