using System.Text.RegularExpressions;
using k8s.Models;

namespace GanServe.Server.Tests.Deployment;

/// <summary>k8s/jobs: the load-test Job runs the image's load generator against the overlays' Service.</summary>
public sealed class LoadTestJobTests
{
    [KubectlFact]
    public void LoadTestJob_Rendered_RunsThePublishedLoadGeneratorAgainstTheService()
    {
        var job = Assert.Single(Kustomize.Folder("jobs").OfType<V1Job>());
        var overlay = Kustomize.Overlay("cpu");
        var container = Assert.Single(job.Spec.Template.Spec.Containers);
        var dockerfile = File.ReadAllText(Path.Combine(Kustomize.RepositoryRoot, "Dockerfile"));

        Assert.Equal(["dotnet", "/app/loadgen/ganserve-load.dll"], container.Command);
        Assert.Matches(@"dotnet publish src/GanServe\.LoadGen/GanServe\.LoadGen\.csproj [^\n]*-o /app/loadgen\n", dockerfile);
        Assert.Equal(overlay.Server.Image, container.Image);
        Assert.Equal("sweep", container.Args[0]);
        var url = new Uri(container.Args[container.Args.IndexOf("--url") + 1]);
        Assert.Equal(overlay.Service.Metadata.Name, url.Host);
        Assert.Contains(overlay.Service.Spec.Ports, p => p.Port == url.Port);
        Assert.Equal("Never", job.Spec.Template.Spec.RestartPolicy);
    }

    [KubectlFact]
    public void LoadTestJob_Rendered_RunsNonRootOnReadOnlyRootWritingOnlyTmp()
    {
        var job = Assert.Single(Kustomize.Folder("jobs").OfType<V1Job>());
        var pod = job.Spec.Template.Spec;
        var container = Assert.Single(pod.Containers);
        var user = Regex.Matches(File.ReadAllText(Path.Combine(Kustomize.RepositoryRoot, "Dockerfile")), @"^USER (\S+)$", RegexOptions.Multiline)[^1].Groups[1].Value;

        Assert.True(pod.SecurityContext.RunAsNonRoot);
        Assert.Equal(user, pod.SecurityContext.RunAsUser?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(container.SecurityContext.ReadOnlyRootFilesystem);
        Assert.Contains("ALL", container.SecurityContext.Capabilities.Drop);
        var tmp = Assert.Single(container.VolumeMounts);
        Assert.Equal("/tmp", tmp.MountPath);
        Assert.NotNull(Assert.Single(pod.Volumes, v => v.Name == tmp.Name).EmptyDir);
        Assert.All(container.Args.Where(a => a.StartsWith('/')), a => Assert.StartsWith("/tmp/", a, StringComparison.Ordinal));
    }
}
