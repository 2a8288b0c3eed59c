using System.Security.Cryptography;
using GanServe.Server.Configuration;
using Microsoft.Extensions.Options;

namespace GanServe.Server.Hosting;

/// <summary>
/// The configured API keys (<c>GanServe:Security:ApiKeys</c> hashed at start, <c>GanServe:Security:ApiKeyHashes</c> as given)
/// and the check of a presented key against all of them.
/// </summary>
public sealed class ApiKeyVerifier
{
    /// <summary>The answer of <see cref="Verify"/> for a key that matches none.</summary>
    public const int NoMatch = -1;

    private static readonly object IdentityItem = new();
    private readonly byte[][] _hashes;

    /// <summary>Hashes the secrets once, so every check compares fixed-length hashes.</summary>
    public ApiKeyVerifier(IOptions<GanServeOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var security = options.Value.Security;
        var fromSecrets = (security.ApiKeys ?? []).Select(ApiKeyHash.Of);
        var fromHashes = (security.ApiKeyHashes ?? []).Select(h => ApiKeyHash.TryParse(h, out var hash) ? hash : throw new OptionsValidationException(
            GanServeOptions.SectionName, typeof(GanServeOptions), ["GanServe:Security:ApiKeyHashes holds a value that is not a hex SHA-256."]));
        _hashes = [.. fromSecrets, .. fromHashes];
    }

    /// <summary>True when any key or hash is configured.</summary>
    public bool IsEnabled => _hashes.Length > 0;

    /// <summary>How many keys are configured.</summary>
    public int Count => _hashes.Length;

    /// <summary>
    /// The index of the configured key that <paramref name="presented"/> is, or <see cref="NoMatch"/>. Compares the
    /// presented key's hash with every configured hash in constant time and never stops early, so the time taken
    /// says nothing about which key (if any) matched or how much of it.
    /// </summary>
    public int Verify(string presented)
    {
        ArgumentNullException.ThrowIfNull(presented);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(presented), hash);
        var match = NoMatch;
        for (var i = 0; i < _hashes.Length; i++)
        {
            var equal = CryptographicOperations.FixedTimeEquals(hash, _hashes[i]);
            match = equal ? i : match;
        }

        return match;
    }

    /// <summary>The request's key, checked once per request (the rate limiter and the key check both ask).</summary>
    public ClientKey Identify(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Items.TryGetValue(IdentityItem, out var known) && known is ClientKey cached)
        {
            return cached;
        }

        var presented = PresentedKey(context.Request);
        var identity = presented is null ? ClientKey.None : new ClientKey(true, IsEnabled ? Verify(presented) : NoMatch);
        context.Items[IdentityItem] = identity;
        return identity;
    }

    /// <summary><c>X-Api-Key</c>, else the token of <c>Authorization: Bearer</c>; null when neither is sent.</summary>
    internal static string? PresentedKey(HttpRequest request)
    {
        var header = request.Headers["X-Api-Key"].ToString();
        if (header.Length > 0)
        {
            return header;
        }

        var authorization = request.Headers.Authorization.ToString();
        const string Scheme = "Bearer ";
        return authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) ? authorization[Scheme.Length..].Trim() : null;
    }
}

/// <summary>What a request presented: whether it sent a key and which configured key it is (or <see cref="ApiKeyVerifier.NoMatch"/>).</summary>
/// <param name="Presented">A key was sent in <c>X-Api-Key</c> or <c>Authorization: Bearer</c>.</param>
/// <param name="KeyIndex">The index of the matching configured key; <see cref="ApiKeyVerifier.NoMatch"/> when none matches.</param>
public readonly record struct ClientKey(bool Presented, int KeyIndex)
{
    /// <summary>No key sent.</summary>
    public static ClientKey None { get; } = new(false, ApiKeyVerifier.NoMatch);

    /// <summary>A configured key was sent.</summary>
    public bool IsValid => KeyIndex != ApiKeyVerifier.NoMatch;
}
