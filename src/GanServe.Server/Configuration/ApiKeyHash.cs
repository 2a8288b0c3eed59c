using System.Security.Cryptography;
using System.Text;

namespace GanServe.Server.Configuration;

/// <summary>The SHA-256 form GanServe keeps API keys in: configured hashes are parsed, configured secrets hashed.</summary>
public static class ApiKeyHash
{
    /// <summary>The length of a hash written as hex.</summary>
    public const int HexLength = SHA256.HashSizeInBytes * 2;

    /// <summary>The SHA-256 of the key's UTF-8 bytes.</summary>
    public static byte[] Of(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return SHA256.HashData(Encoding.UTF8.GetBytes(key));
    }

    /// <summary>Parses 64 hex digits (either case, surrounding spaces ignored) into the hash's 32 bytes.</summary>
    public static bool TryParse(string? hex, out byte[] hash)
    {
        hash = [];
        var text = hex?.Trim();
        if (text is null || text.Length != HexLength || !text.All(char.IsAsciiHexDigit))
        {
            return false;
        }

        hash = Convert.FromHexString(text);
        return true;
    }
}
