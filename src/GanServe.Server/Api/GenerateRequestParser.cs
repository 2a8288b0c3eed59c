using System.Globalization;
using System.Text.Json;
using GanServe.Core.Imaging;
using GanServe.Server.Configuration;

namespace GanServe.Server.Api;

/// <summary>A generation request after validation: seeds or flattened latents, and options.</summary>
public sealed class ParsedGenerateRequest
{
    /// <summary>The seeds, or null when latents were given.</summary>
    public uint[]? Seeds { get; init; }

    /// <summary>Count × latent size values, or null when seeds were given.</summary>
    public float[]? Latents { get; init; }

    /// <summary>Images asked for.</summary>
    public int Count { get; init; }

    /// <summary>Truncation psi (1 = none).</summary>
    public float Truncation { get; init; } = 1f;

    /// <summary>The format named in the body, if any.</summary>
    public ImageFormat? Format { get; init; }

    /// <summary>Upscaling factor.</summary>
    public int Scale { get; init; } = 1;

    /// <summary>One grid image.</summary>
    public bool Grid { get; init; }

    /// <summary>Grid columns, if given.</summary>
    public int? Columns { get; init; }

    /// <summary>Return each latent before truncation.</summary>
    public bool ReturnLatents { get; init; }
}

/// <summary>
/// Parses the JSON body of a generation request with <see cref="Utf8JsonReader"/>, so every mistake
/// (malformed JSON, wrong types, out-of-range or non-finite numbers) is a 400 that says where it is.
/// </summary>
public static class GenerateRequestParser
{
    /// <summary>Parses <paramref name="json"/>; returns null and an error message when it is not a valid request.</summary>
    public static ParsedGenerateRequest? Parse(ReadOnlySpan<byte> json, int latentDim, RequestOptions limits, out string? error)
    {
        ArgumentNullException.ThrowIfNull(limits);

        // A UTF-8 byte order mark is allowed before JSON text (RFC 8259 §8.1 lets parsers ignore it).
        if (json.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            json = json[3..];
        }

        try
        {
            return ParseCore(json, latentDim, limits, out error);
        }
        catch (JsonException ex)
        {
            error = $"The body is not valid JSON: {ex.Message}";
            return null;
        }
        catch (InvalidOperationException ex)
        {
            // The reader checks JSON's structure as it goes but a string's text only when it is read: invalid
            // UTF-8 bytes or an escaped lone surrogate ("\ud800") fail here, in GetString or ValueTextEquals.
            error = $"The body is not valid JSON text: {ex.Message}";
            return null;
        }
    }

    private static ParsedGenerateRequest? ParseCore(ReadOnlySpan<byte> json, int latentDim, RequestOptions limits, out string? error)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 8 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            error = "The body must be a JSON object such as {\"seeds\": [1, 2, 3]}.";
            return null;
        }

        uint[]? seeds = null;
        float[]? latents = null;
        var latentCount = 0;
        float truncation = 1f;
        ImageFormat? format = null;
        var scale = 1;
        var grid = false;
        int? columns = null;
        var returnLatents = false;

        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString() ?? string.Empty;
            reader.Read();
            if (reader.TokenType == JsonTokenType.Null)
            {
                continue;
            }

            switch (name.ToUpperInvariant())
            {
                case "SEEDS":
                    seeds = ReadSeeds(ref reader, limits.MaxImagesPerRequest, out error);
                    if (seeds is null)
                    {
                        return null;
                    }

                    break;
                case "LATENTS":
                    latents = ReadLatents(ref reader, latentDim, limits.MaxImagesPerRequest, out latentCount, out error);
                    if (latents is null)
                    {
                        return null;
                    }

                    break;
                case "TRUNCATION":
                    if (!TryReadDouble(ref reader, "truncation", out var psi, out error))
                    {
                        return null;
                    }

                    // A positive double can still round to float 0 (1e-300), which would be psi = 0.
                    if (!(psi > 0 && psi <= 1 && (float)psi > 0))
                    {
                        error = $"truncation must be greater than 0 and at most 1, got {Text(psi)}{((float)psi == 0 && psi > 0 ? " (0 as float32)" : string.Empty)}.";
                        return null;
                    }

                    truncation = (float)psi;
                    break;
                case "FORMAT":
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        error = $"format must be a string (png, jpeg or webp), got {Describe(reader.TokenType)}.";
                        return null;
                    }

                    var formatText = reader.GetString();
                    if (!ImageFormats.TryParse(formatText, out var parsed))
                    {
                        error = $"format '{formatText}' is not known; use png, jpeg or webp.";
                        return null;
                    }

                    format = parsed;
                    break;
                case "SCALE":
                    if (!TryReadInt(ref reader, "scale", 1, limits.MaxScale, out scale, out error))
                    {
                        return null;
                    }

                    break;
                case "GRID":
                    if (!TryReadBool(ref reader, "grid", out grid, out error))
                    {
                        return null;
                    }

                    break;
                case "COLUMNS":
                    if (!TryReadInt(ref reader, "columns", 1, limits.MaxImagesPerRequest, out var c, out error))
                    {
                        return null;
                    }

                    columns = c;
                    break;
                case "RETURNLATENTS":
                    if (!TryReadBool(ref reader, "returnLatents", out returnLatents, out error))
                    {
                        return null;
                    }

                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        // Anything after the object makes the reader throw (handled as malformed JSON).
        while (reader.Read())
        {
        }

        if ((seeds is null) == (latents is null))
        {
            error = seeds is null
                ? "Give exactly one of seeds or latents; the body has neither."
                : "Give exactly one of seeds or latents; the body has both.";
            return null;
        }

        var count = seeds?.Length ?? latentCount;
        if (count == 0)
        {
            error = seeds is not null ? "seeds is empty; ask for at least one image." : "latents is empty; ask for at least one image.";
            return null;
        }

        error = null;
        return new ParsedGenerateRequest
        {
            Seeds = seeds,
            Latents = latents,
            Count = count,
            Truncation = truncation,
            Format = format,
            Scale = scale,
            Grid = grid,
            Columns = columns,
            ReturnLatents = returnLatents,
        };
    }

    private static uint[]? ReadSeeds(ref Utf8JsonReader reader, int maxImages, out string? error)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            error = $"seeds must be an array of integers, got {Describe(reader.TokenType)}.";
            return null;
        }

        var seeds = new List<uint>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var index = seeds.Count;
            if (reader.TokenType != JsonTokenType.Number)
            {
                error = $"seeds[{index}] must be an integer, got {Describe(reader.TokenType)}.";
                return null;
            }

            if (!reader.TryGetUInt32(out var seed))
            {
                // JSON has one number type: 42.0 and 4.2e1 are the integer 42.
                var isNumber = reader.TryGetDouble(out var d);
                if (isNumber && Math.Floor(d) == d && d is >= 0 and <= uint.MaxValue)
                {
                    seed = (uint)d;
                }
                else
                {
                    var raw = System.Text.Encoding.UTF8.GetString(reader.ValueSpan);
                    error = isNumber && Math.Floor(d) != d
                        ? $"seeds[{index}] must be an integer, got {raw}."
                        : $"seeds[{index}] ({raw}) is outside 0..4294967295.";
                    return null;
                }
            }

            if (seeds.Count == maxImages)
            {
                error = $"The request asks for more than {maxImages} images (GanServe:Requests:MaxImagesPerRequest).";
                return null;
            }

            seeds.Add(seed);
        }

        error = null;
        return [.. seeds];
    }

    private static float[]? ReadLatents(ref Utf8JsonReader reader, int latentDim, int maxImages, out int count, out string? error)
    {
        count = 0;
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            error = $"latents must be an array of arrays of {latentDim} numbers, got {Describe(reader.TokenType)}.";
            return null;
        }

        var values = new List<float>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (count == maxImages)
            {
                error = $"The request asks for more than {maxImages} images (GanServe:Requests:MaxImagesPerRequest).";
                return null;
            }

            if (reader.TokenType != JsonTokenType.StartArray)
            {
                error = $"latents[{count}] must be an array of {latentDim} numbers, got {Describe(reader.TokenType)}.";
                return null;
            }

            var length = 0;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType != JsonTokenType.Number)
                {
                    error = $"latents[{count}][{length}] must be a number, got {Describe(reader.TokenType)}.";
                    return null;
                }

                // TryGetDouble is false for values that overflow a double; a float32 overflows sooner (1e39),
                // while a value that rounds to float.MaxValue is fine.
                if (!reader.TryGetDouble(out var value) || !float.IsFinite((float)value))
                {
                    var raw = System.Text.Encoding.UTF8.GetString(reader.ValueSpan);
                    error = $"latents[{count}][{length}] ({raw}) is not a finite float32 value.";
                    return null;
                }

                if (length == latentDim)
                {
                    error = $"latents[{count}] has more than {latentDim} values; this model's latents have {latentDim}.";
                    return null;
                }

                values.Add((float)value);
                length++;
            }

            if (length != latentDim)
            {
                error = $"latents[{count}] has {length} values; this model's latents have {latentDim}.";
                return null;
            }

            count++;
        }

        error = null;
        return [.. values];
    }

    private static bool TryReadDouble(ref Utf8JsonReader reader, string name, out double value, out string? error)
    {
        value = 0;
        if (reader.TokenType != JsonTokenType.Number)
        {
            error = $"{name} must be a number, got {Describe(reader.TokenType)}.";
            return false;
        }

        if (!reader.TryGetDouble(out value) || !double.IsFinite(value))
        {
            error = $"{name} ({System.Text.Encoding.UTF8.GetString(reader.ValueSpan)}) is not a finite number.";
            return false;
        }

        error = null;
        return true;
    }

    private static bool TryReadInt(ref Utf8JsonReader reader, string name, int min, int max, out int value, out string? error)
    {
        value = 0;
        if (reader.TokenType != JsonTokenType.Number)
        {
            error = $"{name} must be an integer, got {Describe(reader.TokenType)}.";
            return false;
        }

        if (!reader.TryGetInt32(out value) || value < min || value > max)
        {
            error = $"{name} must be an integer from {min} to {max}, got {System.Text.Encoding.UTF8.GetString(reader.ValueSpan)}.";
            return false;
        }

        error = null;
        return true;
    }

    private static bool TryReadBool(ref Utf8JsonReader reader, string name, out bool value, out string? error)
    {
        value = reader.TokenType == JsonTokenType.True;
        if (reader.TokenType is JsonTokenType.True or JsonTokenType.False)
        {
            error = null;
            return true;
        }

        error = $"{name} must be true or false, got {Describe(reader.TokenType)}.";
        return false;
    }

    private static string Text(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };
}
