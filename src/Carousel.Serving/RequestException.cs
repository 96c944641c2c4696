namespace Carousel.Serving;

/// <summary>A request the server refuses: answered with <see cref="StatusCode"/> and <c>{"error": message}</c>.</summary>
/// <param name="statusCode">The HTTP status (4xx).</param>
/// <param name="message">What was wrong, in words the caller can act on.</param>
public sealed class RequestException(int statusCode, string message) : Exception(message)
{
    /// <summary>The HTTP status of the answer.</summary>
    public int StatusCode { get; } = statusCode;

    /// <summary>400: the request asks for something impossible.</summary>
    public static RequestException BadRequest(string message) => new(StatusCodes.Status400BadRequest, message);
}
