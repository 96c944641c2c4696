using System.Text.Json;

namespace Carousel.Serving;

/// <summary>
/// Reads a request's JSON body within the server's size limit: a larger body is answered 413 before it is parsed, a
/// body that is not JSON (or not of the expected shape) 400, and a body of another content type 415. Requiring
/// application/json also keeps other web sites out: a browser sends that type across origins only after a CORS
/// preflight, which this server never grants.
/// </summary>
internal static class JsonBody
{
    // Answers are application/json, never embedded in HTML, so quotes and apostrophes need no escaping.
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task<T> Read<T>(HttpRequest request, int maxBytes, T empty) where T : class
    {
        if (request.ContentLength > maxBytes) throw TooLarge(maxBytes);
        if (request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            string? type = request.ContentType;
            if (type is null || !type.Split(';')[0].Trim().Equals("application/json", StringComparison.OrdinalIgnoreCase))
                throw new RequestException(StatusCodes.Status415UnsupportedMediaType, "Send the request body as JSON (Content-Type: application/json).");
        }
        var body = new MemoryStream();
        var chunk = new byte[8192];
        for (int read; (read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0;)
        {
            if (body.Length + read > maxBytes) throw TooLarge(maxBytes);
            body.Write(chunk, 0, read);
        }
        if (body.Length == 0) return empty;
        try
        {
            return JsonSerializer.Deserialize<T>(body.GetBuffer().AsSpan(0, (int)body.Length), Options) ?? empty;
        }
        catch (JsonException e)
        {
            throw RequestException.BadRequest($"The body is not JSON of the expected shape: {e.Message}");
        }
    }

    private static RequestException TooLarge(int maxBytes) =>
        new(StatusCodes.Status413PayloadTooLarge, $"The request body is larger than the {maxBytes} bytes this server accepts.");
}
