using System.Collections.Concurrent;
using System.Diagnostics;
using k8s;
using k8s.Models;

namespace GanServe.Server.Tests.Deployment;

/// <summary>Renders the repository's k8s/ overlays with <c>kubectl kustomize</c> (offline) into typed objects.</summary>
internal static class Kustomize
{
    private static readonly ConcurrentDictionary<string, Lazy<RenderedOverlay>> Rendered = new(StringComparer.Ordinal);

    /// <summary>The kubectl executable on PATH, or null.</summary>
    public static string? KubectlPath { get; } = FindOnPath("kubectl");

    /// <summary>The folder holding GanServe.sln (and k8s/, Dockerfile).</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>The rendered overlay <c>k8s/overlays/{name}</c>, rendered once per test run.</summary>
    public static RenderedOverlay Overlay(string name) =>
        Rendered.GetOrAdd(name, n => new Lazy<RenderedOverlay>(() => Render(n))).Value;

    /// <summary>Every object of the kustomization in <c>k8s/{relative}</c> (e.g. <c>jobs</c>).</summary>
    public static IReadOnlyList<object> Folder(string relative) => RenderPath(Path.Combine(RepositoryRoot, "k8s", relative));

    private static RenderedOverlay Render(string name) => new(name, RenderPath(Path.Combine(RepositoryRoot, "k8s", "overlays", name)));

    private static List<object> RenderPath(string path)
    {
        var start = new ProcessStartInfo(KubectlPath ?? throw new InvalidOperationException("kubectl is not on PATH."))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("kustomize");
        start.ArgumentList.Add(path);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill();
            throw new TimeoutException($"kubectl kustomize {path} did not finish within 60 s.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"kubectl kustomize {path} failed ({process.ExitCode}): {stderr.Result}");
        }

        return KubernetesYaml.LoadAllFromString(stdout.Result);
    }

    private static string? FindOnPath(string program)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GanServe.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No GanServe.sln above {AppContext.BaseDirectory}.");
    }
}

/// <summary>One rendered overlay: every object, and the single one of each kind GanServe deploys.</summary>
internal sealed class RenderedOverlay(string name, IReadOnlyList<object> objects)
{
    public string Name { get; } = name;

    public IReadOnlyList<object> Objects { get; } = objects;

    public V1Deployment Deployment => Single<V1Deployment>();

    public V1Service Service => Single<V1Service>();

    public V1ConfigMap ConfigMap => Single<V1ConfigMap>();

    public V2HorizontalPodAutoscaler Autoscaler => Single<V2HorizontalPodAutoscaler>();

    public V1PodDisruptionBudget DisruptionBudget => Single<V1PodDisruptionBudget>();

    public V1PodSpec Pod => Deployment.Spec.Template.Spec;

    public V1Container Server => Assert.Single(Pod.Containers);

    /// <summary>The ConfigMap's data, which the container receives as environment variables.</summary>
    public IDictionary<string, string> Settings => ConfigMap.Data ?? new Dictionary<string, string>();

    private T Single<T>() => Assert.Single(Objects.OfType<T>());
}
