using System.Text.RegularExpressions;
using GanServe.Server.Api;
using Microsoft.AspNetCore.Diagnostics;

namespace GanServe.Server.Hosting;

/// <summary>
/// Turns the framework's <see cref="BadHttpRequestException"/> (query binding failures, a body over the
/// Kestrel limit) into v1 problem details with the exception's status, so no client input becomes a 500.
/// </summary>
public sealed partial class BadRequestExceptionHandler : IExceptionHandler
{
    /// <inheritdoc />
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }

        await Problems.ForStatus(bad.StatusCode, Detail(bad.Message)).ExecuteAsync(httpContext);
        return true;
    }

    /// <summary>
    /// The framework's binding message names .NET types (<c>Failed to bind parameter "Nullable&lt;int&gt; frames"
    /// from "abc".</c>); clients get the parameter, its value and what it takes instead. Other messages pass as they are.
    /// </summary>
    public static string Detail(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var match = BindFailure().Match(message);
        if (!match.Success)
        {
            return message;
        }

        var type = match.Groups["type"].Value;
        if (type.StartsWith("Nullable<", StringComparison.Ordinal) && type.EndsWith('>'))
        {
            type = type["Nullable<".Length..^1];
        }

        var expected = type switch
        {
            "int" or "long" or "uint" or "ulong" or "short" or "Int32" or "Int64" or "UInt32" or "UInt64" => "a whole number",
            "float" or "double" or "Single" or "Double" => "a number",
            "bool" or "Boolean" => "true or false",
            _ => "a valid value",
        };
        return $"Parameter '{match.Groups["name"].Value}' ('{match.Groups["value"].Value}') must be {expected}.";
    }

    [GeneratedRegex("^Failed to bind parameter \"(?<type>\\S+) (?<name>[^\"]+)\" from \"(?<value>.*)\"\\.$", RegexOptions.Singleline)]
    private static partial Regex BindFailure();
}
