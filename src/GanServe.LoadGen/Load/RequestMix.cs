using System.Globalization;

namespace GanServe.LoadGen.Load;

/// <summary>One kind of request in a mix: a GET of one image, or a POST generate of several seeds.</summary>
/// <param name="Endpoint">"image" or "generate".</param>
/// <param name="Format">Image format: png, jpg, jpeg or webp (generate: png, jpeg or webp).</param>
/// <param name="Images">Seeds per request (1 for image).</param>
/// <param name="Weight">Relative share in the mix.</param>
public sealed record MixEntry(string Endpoint, string Format, int Images, int Weight)
{
    /// <summary>The entry as the mix syntax writes it.</summary>
    public override string ToString() => Endpoint == RequestMix.Image
        ? $"image:{Format}={Weight}"
        : string.Create(CultureInfo.InvariantCulture, $"generate:{Images}{(Format == "png" ? string.Empty : ":" + Format)}={Weight}");
}

/// <summary>
/// A weighted mix of requests, written <c>image:png=8,image:webp=1,generate:4=1</c>: <c>image:FORMAT</c> is
/// GET /v1/models/{m}/images/{seed}.{FORMAT}; <c>generate:N[:FORMAT]</c> is POST /v1/models/{m}/generate with N
/// random seeds (format png unless named). A missing <c>=WEIGHT</c> means 1.
/// </summary>
public sealed class RequestMix
{
    /// <summary>The endpoint name of single-image GETs.</summary>
    public const string Image = "image";

    /// <summary>The endpoint name of generate POSTs.</summary>
    public const string Generate = "generate";

    private static readonly string[] ImageFormats = ["png", "jpg", "jpeg", "webp"];
    private static readonly string[] GenerateFormats = ["png", "jpeg", "webp"];
    private readonly int[] _cumulative;

    private RequestMix(IReadOnlyList<MixEntry> entries)
    {
        Entries = entries;
        _cumulative = new int[entries.Count];
        var sum = 0;
        for (var i = 0; i < entries.Count; i++)
        {
            sum += entries[i].Weight;
            _cumulative[i] = sum;
        }
    }

    /// <summary>The entries, in the order written.</summary>
    public IReadOnlyList<MixEntry> Entries { get; }

    /// <summary>The sum of the weights.</summary>
    public int TotalWeight => _cumulative[^1];

    /// <summary>Parses the mix syntax; throws <see cref="FormatException"/> naming the bad part.</summary>
    public static RequestMix Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var entries = new List<MixEntry>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            entries.Add(ParseEntry(part));
        }

        if (entries.Count == 0)
        {
            throw new FormatException("The mix is empty; write e.g. image:png=8,generate:4=1.");
        }

        return new RequestMix(entries);
    }

    /// <summary>The entry for a uniform draw in [0, <see cref="TotalWeight"/>).</summary>
    public MixEntry At(int draw)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(draw);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(draw, TotalWeight);
        var i = Array.BinarySearch(_cumulative, draw + 1);
        return Entries[i >= 0 ? i : ~i];
    }

    /// <summary>Draws an entry with probability weight ÷ total.</summary>
    public MixEntry Pick(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return At(random.Next(TotalWeight));
    }

    /// <inheritdoc />
    public override string ToString() => string.Join(',', Entries);

    private static MixEntry ParseEntry(string part)
    {
        var weight = 1;
        var spec = part;
        var eq = part.IndexOf('=', StringComparison.Ordinal);
        if (eq >= 0)
        {
            spec = part[..eq];
            if (!int.TryParse(part[(eq + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out weight) || weight <= 0)
            {
                throw new FormatException($"Mix entry '{part}': the weight must be a positive integer.");
            }
        }

        var fields = spec.Split(':');
        switch (fields[0].ToLowerInvariant())
        {
            case Image when fields.Length == 2 && ImageFormats.Contains(fields[1].ToLowerInvariant()):
                return new MixEntry(Image, fields[1].ToLowerInvariant(), 1, weight);
            case Generate when fields.Length is 2 or 3:
                if (!int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var images) || images <= 0)
                {
                    throw new FormatException($"Mix entry '{part}': generate:N needs a positive seed count N.");
                }

                var format = fields.Length == 3 ? fields[2].ToLowerInvariant() : "png";
                if (!GenerateFormats.Contains(format))
                {
                    throw new FormatException($"Mix entry '{part}': generate formats are png, jpeg and webp.");
                }

                return new MixEntry(Generate, format, images, weight);
            default:
                throw new FormatException($"Mix entry '{part}': write image:png|jpg|jpeg|webp or generate:N[:png|jpeg|webp], then optionally =WEIGHT.");
        }
    }
}
