using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace GanServe.LoadGen.Load.Raw;

/// <summary>
/// Writes the load generator's HTTP/1.1 requests as bytes: the fixed parts (path prefix, Host and the optional
/// X-Api-Key and X-GanServe-Timeout headers) are encoded once, and only the seeds are formatted per request.
/// </summary>
internal sealed class RequestWriter
{
    private const int SeedDigits = 10;
    private readonly byte[] _imagePrefix;
    private readonly Dictionary<string, byte[]> _imageSuffixes = new(StringComparer.Ordinal);
    private readonly byte[] _generateHead;
    private readonly byte[] _bodyPrefix = "{\"seeds\":["u8.ToArray();
    private readonly Dictionary<string, byte[]> _bodySuffixes = new(StringComparer.Ordinal);

    /// <summary>Requests to <paramref name="baseUrl"/> (an http:// URL whose path is the API's base) for <paramref name="model"/>.</summary>
    public RequestWriter(Uri baseUrl, string model, string? apiKey, int? serverTimeoutMs)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        ArgumentException.ThrowIfNullOrEmpty(model);
        if (apiKey is not null && apiKey.AsSpan().ContainsAnyInRange('\0', '\x1f'))
        {
            throw new ArgumentException("The API key must not contain control characters.", nameof(apiKey));
        }

        var basePath = baseUrl.AbsolutePath.EndsWith('/') ? baseUrl.AbsolutePath : baseUrl.AbsolutePath + "/";
        var modelPath = $"{basePath}v1/models/{Uri.EscapeDataString(model)}";
        var headers = new StringBuilder(" HTTP/1.1\r\nHost: ").Append(baseUrl.Authority).Append("\r\n");
        if (apiKey is { Length: > 0 })
        {
            headers.Append("X-Api-Key: ").Append(apiKey).Append("\r\n");
        }

        if (serverTimeoutMs is { } timeout)
        {
            headers.Append("X-GanServe-Timeout: ").Append(timeout.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        }

        _imagePrefix = Encoding.ASCII.GetBytes($"GET {modelPath}/images/");
        foreach (var format in new[] { "png", "jpg", "jpeg", "webp" })
        {
            _imageSuffixes[format] = Encoding.ASCII.GetBytes($".{format}{headers}\r\n");
            _bodySuffixes[format] = Encoding.ASCII.GetBytes($"],\"format\":\"{format}\"}}");
        }

        _generateHead = Encoding.ASCII.GetBytes($"POST {modelPath}/generate{headers}Content-Type: application/json\r\nContent-Length: ");
    }

    /// <summary>The most bytes a request for <paramref name="seeds"/> seeds can take.</summary>
    public int MaxLength(int seeds) => _generateHead.Length + _imagePrefix.Length + 64 + _bodyPrefix.Length + ((SeedDigits + 1) * Math.Max(1, seeds)) + 256;

    /// <summary>Writes GET /v1/models/{m}/images/{seed}.{format} into <paramref name="destination"/>; returns its length.</summary>
    public int WriteImage(Span<byte> destination, uint seed, string format)
    {
        var suffix = _imageSuffixes[format];
        _imagePrefix.CopyTo(destination);
        var at = _imagePrefix.Length;
        if (!Utf8Formatter.TryFormat(seed, destination[at..], out var written))
        {
            throw new ArgumentException("The destination is too small.", nameof(destination));
        }

        at += written;
        suffix.CopyTo(destination[at..]);
        return at + suffix.Length;
    }

    /// <summary>Writes POST /v1/models/{m}/generate with a JSON body of <paramref name="seeds"/>; returns its length.</summary>
    public int WriteGenerate(Span<byte> destination, ReadOnlySpan<uint> seeds, string format)
    {
        var bodySuffix = _bodySuffixes[format];
        var bodyLength = _bodyPrefix.Length + bodySuffix.Length + Math.Max(0, seeds.Length - 1);
        foreach (var seed in seeds)
        {
            bodyLength += Digits(seed);
        }

        _generateHead.CopyTo(destination);
        var at = _generateHead.Length;
        _ = Utf8Formatter.TryFormat(bodyLength, destination[at..], out var written);
        at += written;
        "\r\n\r\n"u8.CopyTo(destination[at..]);
        at += 4;
        _bodyPrefix.CopyTo(destination[at..]);
        at += _bodyPrefix.Length;
        for (var i = 0; i < seeds.Length; i++)
        {
            if (i > 0)
            {
                destination[at++] = (byte)',';
            }

            _ = Utf8Formatter.TryFormat(seeds[i], destination[at..], out written);
            at += written;
        }

        bodySuffix.CopyTo(destination[at..]);
        return at + bodySuffix.Length;
    }

    private static int Digits(uint value)
    {
        var digits = 1;
        while (value >= 10)
        {
            value /= 10;
            digits++;
        }

        return digits;
    }
}
