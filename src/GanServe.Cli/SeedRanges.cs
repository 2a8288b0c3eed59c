using System.Globalization;

namespace GanServe.Cli;

/// <summary>Seed lists in the StyleGAN tools' form: <c>0-15,42</c> (ranges include both ends).</summary>
public static class SeedRanges
{
    /// <summary>The most seeds one command may ask for.</summary>
    public const int MaxSeeds = 1_000_000;

    /// <summary>Parses <paramref name="text"/>; false with a message naming the bad part.</summary>
    public static bool TryParse(string? text, out IReadOnlyList<uint> seeds, out string? error)
    {
        seeds = [];
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "--seeds is empty; give seeds such as 0-15,42.";
            return false;
        }

        var result = new List<uint>();
        foreach (var raw in text.Split(','))
        {
            var part = raw.Trim();
            var dash = part.IndexOf('-', StringComparison.Ordinal);
            uint first, last;
            if (dash < 0)
            {
                if (!TryParseSeed(part, out first))
                {
                    error = $"'{part}' is not a seed (a whole number from 0 to 4294967295).";
                    return false;
                }

                last = first;
            }
            else if (!TryParseSeed(part[..dash], out first) || !TryParseSeed(part[(dash + 1)..], out last))
            {
                error = $"'{part}' is not a seed range such as 0-15.";
                return false;
            }
            else if (last < first)
            {
                error = $"'{part}' runs backwards; write {last}-{first}.";
                return false;
            }

            if ((ulong)result.Count + (last - first) + 1 > MaxSeeds)
            {
                error = $"--seeds asks for more than {MaxSeeds} images.";
                return false;
            }

            for (var seed = (ulong)first; seed <= last; seed++)
            {
                result.Add((uint)seed);
            }
        }

        seeds = result;
        error = null;
        return true;
    }

    private static bool TryParseSeed(string text, out uint seed) =>
        uint.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out seed);
}
