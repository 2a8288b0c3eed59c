using System.Globalization;
using GanServe.Core.Latents;
using GanServe.Server.Configuration;
using GanServe.Server.Models;

namespace GanServe.Server.Api;

/// <summary>Pieces shared by the image and generation endpoints: version lookup, deadlines, latents, answer headers.</summary>
internal static class GenerationSupport
{
    /// <summary>The answer when the network overflowed (NaN or infinity in its output) on latents this large.</summary>
    public const string NonFiniteOutput =
        "The generator's output for this input is not finite (NaN or infinity): latent values this large overflow the network.";

    /// <summary>True when every value is a finite float (the generator did not overflow).</summary>
    public static bool AllFinite(ReadOnlySpan<float> values)
    {
        foreach (var v in values)
        {
            if (!float.IsFinite(v))
            {
                return false;
            }
        }

        return true;
    }

    public const string TimeoutHeader = "X-GanServe-Timeout";
    public const string ModelVersionHeader = "X-GanServe-Model-Version";
    public const string ProviderHeader = "X-GanServe-Provider";
    public const string BatchSizeHeader = "X-GanServe-Batch-Size";

    /// <summary>The default version, or the pinned one; null when unknown.</summary>
    public static ModelInstance? FindVersion(ServedModel model, string? version)
    {
        if (version is null)
        {
            return model.Default;
        }

        return int.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            && number.ToString(CultureInfo.InvariantCulture) == version
            && model.Versions.TryGetValue(number, out var instance)
                ? instance
                : null;
    }

    /// <summary>The request's deadline: <c>X-GanServe-Timeout</c> in milliseconds capped by MaxTimeout, else DefaultTimeout.</summary>
    public static bool TryGetTimeout(HttpRequest request, RequestOptions limits, out TimeSpan timeout, out string? error)
    {
        timeout = limits.DefaultTimeout;
        error = null;
        var header = request.Headers[TimeoutHeader];
        if (header.Count == 0)
        {
            return true;
        }

        var text = header.Count == 1 ? header[0] : null;
        if (string.IsNullOrEmpty(text) || !text.All(char.IsAsciiDigit) || text.All(c => c == '0'))
        {
            error = $"{TimeoutHeader} must be a positive whole number of milliseconds, got '{header}'.";
            return false;
        }

        // Any larger value, even one past long's range, asks for more than MaxTimeout and gets MaxTimeout.
        var within = long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms < limits.MaxTimeout.TotalMilliseconds;
        timeout = within ? TimeSpan.FromMilliseconds(ms) : limits.MaxTimeout;
        return true;
    }

    /// <summary>Seed latents (the seed convention), written one after another.</summary>
    public static float[] SeedLatents(IReadOnlyList<uint> seeds, int latentDim)
    {
        var latents = new float[seeds.Count * latentDim];
        for (var i = 0; i < seeds.Count; i++)
        {
            Core.Latents.SeedLatents.Fill(seeds[i], latents.AsSpan(i * latentDim, latentDim));
        }

        return latents;
    }

    /// <summary>Applies truncation (z' = psi z) to a copy when the originals are still needed.</summary>
    public static float[] Truncated(float[] latents, float psi, bool keepOriginal)
    {
        if (psi == 1f)
        {
            return latents;
        }

        var result = keepOriginal ? (float[])latents.Clone() : latents;
        Core.Latents.SeedLatents.Truncate(result, psi);
        return result;
    }

    /// <summary>The headers every image answer carries.</summary>
    public static void AddImageHeaders(HttpResponse response, ModelInstance instance, IReadOnlyList<int> batchSizes)
    {
        response.Headers[ModelVersionHeader] = instance.VersionText;
        response.Headers[ProviderHeader] = instance.Provider;
        response.Headers[BatchSizeHeader] = batchSizes.Count == 1
            ? BatchSizeText(batchSizes[0])
            : string.Join(',', batchSizes.Select(BatchSizeText));
    }

    // Batch sizes as header text, formatted once for the usual sizes.
    private static readonly string[] SmallNumbers =
        [.. Enumerable.Range(0, 1025).Select(n => n.ToString(CultureInfo.InvariantCulture))];

    private static string BatchSizeText(int size) =>
        (uint)size < (uint)SmallNumbers.Length ? SmallNumbers[size] : size.ToString(CultureInfo.InvariantCulture);
}
