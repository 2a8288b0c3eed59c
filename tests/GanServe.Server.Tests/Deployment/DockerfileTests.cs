using System.Text.RegularExpressions;

namespace GanServe.Server.Tests.Deployment;

/// <summary>The Dockerfile's build steps, which .ci/run exercises without a Docker engine.</summary>
public sealed partial class DockerfileTests
{
    [Theory]
    [InlineData("restore")]
    [InlineData("publish")]
    public void Dockerfile_BuildSteps_AreTheCommandsCiRuns(string verb)
    {
        // The server's, then the load generator's, in the same order in both.
        var dockerfile = Commands(Read("Dockerfile"), verb)
            .Select(c => c.Replace("${FLAVOR}", "cpu", StringComparison.Ordinal).Replace("/app", "$APP", StringComparison.Ordinal))
            .ToArray();
        var ci = Commands(Read(".ci/run"), verb)
            .Select(c => c.Replace("\"$app\"", "$APP", StringComparison.Ordinal))
            .ToArray();

        Assert.Equal(2, dockerfile.Length);
        Assert.Contains("src/GanServe.Server/GanServe.Server.csproj", dockerfile[0], StringComparison.Ordinal);
        Assert.Contains("src/GanServe.LoadGen/GanServe.LoadGen.csproj", dockerfile[1], StringComparison.Ordinal);
        Assert.Equal(dockerfile, ci);
    }

    [Fact]
    public void Dockerfile_RuntimeStage_RunsAsNonRootOnPort8080WithTheModels()
    {
        var dockerfile = Read("Dockerfile");
        var runtime = dockerfile[dockerfile.LastIndexOf("\nFROM ", StringComparison.Ordinal)..];

        Assert.Matches(@"\nUSER [1-9][0-9]*\n", runtime);
        Assert.Contains("ASPNETCORE_HTTP_PORTS=8080", runtime, StringComparison.Ordinal);
        Assert.Matches(@"\nCOPY (--link )?models/ /models/\n", runtime);
        Assert.Contains("GanServe__ModelsPath=/models", runtime, StringComparison.Ordinal);
    }

    private static string Read(string relative) =>
        File.ReadAllText(Path.Combine(Kustomize.RepositoryRoot, relative)).Replace("\\\n", " ", StringComparison.Ordinal);

    // "dotnet <verb> ..." up to the end of its shell command (a closing parenthesis or a line end),
    // with whitespace collapsed, so an `&& rm ...` after it is compared too.
    private static IEnumerable<string> Commands(string text, string verb) =>
        Command().Matches(text)
            .Where(m => m.Groups["verb"].Value == verb)
            .Select(m => Spaces().Replace(m.Value, " ").Trim());

    [GeneratedRegex(@"dotnet (?<verb>restore|publish)\b[^\n)]*")]
    private static partial Regex Command();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
