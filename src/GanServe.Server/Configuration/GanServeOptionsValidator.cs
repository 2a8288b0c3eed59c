using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace GanServe.Server.Configuration;

/// <summary>
/// Validates the nested sections (data annotations do not recurse) and the rules that span keys;
/// every message names the configuration key at fault.
/// </summary>
public sealed class GanServeOptionsValidator : IValidateOptions<GanServeOptions>
{
    /// <summary>The shortest <see cref="GanServeOptions.ShutdownTimeout"/> accepted.</summary>
    public static readonly TimeSpan MinimumShutdownTimeout = TimeSpan.FromSeconds(1);

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, GanServeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        Annotations(options, failures);
        Annotations(options.Inference, failures);
        Annotations(options.Batching, failures);
        Annotations(options.Requests, failures);
        Annotations(options.Resilience, failures);
        Annotations(options.Security.RateLimit, failures);
        Annotations(options.Limits, failures);

        var batching = options.Batching;
        var requests = options.Requests;
        if (requests.MaxImagesPerRequest > batching.QueueCapacity)
        {
            failures.Add(
                $"GanServe:Requests:MaxImagesPerRequest ({requests.MaxImagesPerRequest}) may not exceed "
                + $"GanServe:Batching:QueueCapacity ({batching.QueueCapacity}).");
        }

        if (options.ShutdownTimeout < MinimumShutdownTimeout)
        {
            // Under a second there is no time to answer what is queued: SIGTERM would reset accepted requests.
            failures.Add($"GanServe:ShutdownTimeout ({options.ShutdownTimeout}) must be at least {MinimumShutdownTimeout}.");
        }
        else if (options.DrainDelay >= options.ShutdownTimeout)
        {
            failures.Add($"GanServe:DrainDelay ({options.DrainDelay}) must be shorter than GanServe:ShutdownTimeout ({options.ShutdownTimeout}).");
        }

        if (requests.DefaultTimeout > requests.MaxTimeout)
        {
            failures.Add(
                $"GanServe:Requests:DefaultTimeout ({requests.DefaultTimeout}) may not exceed GanServe:Requests:MaxTimeout ({requests.MaxTimeout}).");
        }

        var buckets = batching.Buckets ?? [];
        for (var i = 0; i < buckets.Length; i++)
        {
            if (buckets[i] < 1 || buckets[i] > batching.MaxBatchSize)
            {
                failures.Add($"GanServe:Batching:Buckets:{i} ({buckets[i]}) must be between 1 and GanServe:Batching:MaxBatchSize ({batching.MaxBatchSize}).");
            }
            else if (i > 0 && buckets[i] <= buckets[i - 1])
            {
                failures.Add($"GanServe:Batching:Buckets must be strictly increasing (entry {i} is {buckets[i]}).");
            }
        }

        ValidateKeys(options.Security, failures);

        if (options.Security.CorsOrigins.Length != 0)
        {
            failures.Add("GanServe:Security:CorsOrigins is not implemented yet; leave it empty.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateKeys(SecurityOptions security, List<string> failures)
    {
        var keys = security.ApiKeys ?? [];
        for (var i = 0; i < keys.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(keys[i]))
            {
                failures.Add($"GanServe:Security:ApiKeys:{i} is empty; remove it or give it a key.");
            }
        }

        var hashes = security.ApiKeyHashes ?? [];
        for (var i = 0; i < hashes.Length; i++)
        {
            if (!ApiKeyHash.TryParse(hashes[i], out _))
            {
                // The value is not echoed: a key pasted here by mistake should not land in the logs.
                failures.Add($"GanServe:Security:ApiKeyHashes:{i} must be the SHA-256 of a key as 64 hex digits (e.g. from `printf %s KEY | sha256sum`).");
            }
        }
    }

    private static void Annotations(object section, List<string> failures)
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(section, new ValidationContext(section), results, validateAllProperties: true))
        {
            failures.AddRange(results.Select(r => r.ErrorMessage ?? "invalid value"));
        }
    }
}
