namespace GanServe.Server.Configuration;

/// <summary>
/// Finds the model repository: an absolute path as given; a relative one against the current directory,
/// else next to <c>GanServe.sln</c> above the application's folder (so <c>dotnet run</c> from anywhere in
/// the repository finds <c>models/</c>).
/// </summary>
public static class ModelsPathResolver
{
    /// <summary>Resolves <paramref name="configured"/> to a full path (which may not exist).</summary>
    public static string Resolve(string configured, string? currentDirectory = null, string? baseDirectory = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(configured);
        if (Path.IsPathRooted(configured))
        {
            return Path.GetFullPath(configured);
        }

        var fromCurrent = Path.GetFullPath(configured, currentDirectory ?? Directory.GetCurrentDirectory());
        if (Directory.Exists(fromCurrent))
        {
            return fromCurrent;
        }

        for (var dir = new DirectoryInfo(baseDirectory ?? AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, configured);
            if (File.Exists(Path.Combine(dir.FullName, "GanServe.sln")) && Directory.Exists(candidate))
            {
                return Path.GetFullPath(candidate);
            }
        }

        return fromCurrent;
    }
}
