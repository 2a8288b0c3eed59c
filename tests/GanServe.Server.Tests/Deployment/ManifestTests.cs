using System.Text.RegularExpressions;
using GanServe.Server.Configuration;
using k8s.Models;

namespace GanServe.Server.Tests.Deployment;

/// <summary>The rendered k8s/ overlays: complete, consistent with each other, with the image and with the app's options.</summary>
public sealed partial class ManifestTests
{
    private const int ImagePort = 8080;

    [KubectlTheory]
    [InlineData("cpu")]
    [InlineData("gpu")]
    public void Kustomize_Overlay_RendersOneOfEachObject(string overlay)
    {
        var rendered = Kustomize.Overlay(overlay);

        Assert.Equal(5, rendered.Objects.Count);
        Assert.Equal("ganserve", rendered.Deployment.Metadata.Name);
        Assert.NotNull(rendered.Service);
        Assert.NotNull(rendered.ConfigMap);
        Assert.NotNull(rendered.Autoscaler);
        Assert.NotNull(rendered.DisruptionBudget);
    }

    [KubectlTheory]
    [InlineData("cpu")]
    [InlineData("gpu")]
    public void ConfigMap_Overlay_IsWhatTheContainerReads(string overlay)
    {
        var rendered = Kustomize.Overlay(overlay);

        var source = Assert.Single(rendered.Server.EnvFrom, s => s.ConfigMapRef is not null);
        Assert.Equal(rendered.ConfigMap.Metadata.Name, source.ConfigMapRef.Name);

        // The API keys' Secret is the only other source, and optional: a cluster without it still starts pods.
        var secret = Assert.Single(rendered.Server.EnvFrom, s => s.SecretRef is not null);
        Assert.Equal("ganserve-api-keys", secret.SecretRef.Name);
        Assert.True(secret.SecretRef.Optional);
        Assert.Equal(2, rendered.Server.EnvFrom.Count);
        Assert.All(rendered.Settings.Keys, key => Assert.StartsWith(ManifestSettings.Prefix, key, StringComparison.Ordinal));
    }

    [KubectlTheory]
    [InlineData("cpu")]
    [InlineData("gpu")]
    public void ConfigMap_Overlay_EveryKeyBindsToAnOption(string overlay)
    {
        var settings = Kustomize.Overlay(overlay).Settings;

        // ErrorOnUnknownConfiguration: a key that names no property (a typo, a removed option) throws.
        var options = ManifestSettings.BindStrictly(settings);

        Assert.NotEmpty(settings);
        Assert.Equal(settings[ManifestSettings.Prefix + "ModelsPath"], options.ModelsPath);
    }

    [Fact]
    public void BindStrictly_MisspelledKey_ThrowsNamingIt()
    {
        var settings = new Dictionary<string, string> { ["GanServe__Batching__MaxBatchSise"] = "8" };

        var error = Assert.Throws<InvalidOperationException>(() => ManifestSettings.BindStrictly(settings));

        Assert.Contains("MaxBatchSise", error.Message, StringComparison.Ordinal);
    }

    [KubectlTheory]
    [InlineData("cpu")]
    [InlineData("gpu")]
    public void ConfigMap_Overlay_PassesTheAppsValidation(string overlay)
    {
        var settings = Kustomize.Overlay(overlay).Settings;

        var options = ManifestSettings.ValidateAsTheAppDoes(settings);

        Assert.Equal(int.Parse(settings[ManifestSettings.Prefix + "Batching__MaxBatchSize"], System.Globalization.CultureInfo.InvariantCulture), options.Batching.MaxBatchSize);
    }

    [Fact]
    public void ValidateAsTheAppDoes_InvalidSetting_Throws()
    {
        var settings = new Dictionary<string, string> { ["GanServe__Requests__MaxImagesPerRequest"] = "5000" };

        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => ManifestSettings.ValidateAsTheAppDoes(settings));

        Assert.Contains("GanServe:Batching:QueueCapacity", error.Message, StringComparison.Ordinal);
    }

    [KubectlTheory]
    [InlineData("cpu")]
    [InlineData("gpu")]
    public void Deployment_Overlay_GracePeriodExceedsPreStopPlusShutdownTimeout(string overlay)
    {
        var rendered = Kustomize.Overlay(overlay);
        var options = ManifestSettings.ValidateAsTheAppDoes(rendered.Settings);
        var preStop = rendered.Server.Lifecycle?.PreStop;

        Assert.NotNull(preStop?.Sleep);
        var pause = TimeSpan.FromSeconds(preStop.Sleep.Seconds);
        Assert.True(pause > TimeSpan.Zero, "preStop must pause for a positive time.");
        var grace = TimeSpan.FromSeconds(rendered.Pod.TerminationGracePeriodSeconds ?? 30);
        Assert.True(
            grace > pause + options.ShutdownTimeout,
            $"terminationGracePeriodSeconds ({grace.TotalSeconds} s) must exceed the preStop pause ({pause.TotalSeconds} s) + GanServe:ShutdownTimeout ({options.ShutdownTimeout.TotalSeconds} s).");
    }

    [KubectlTheory]
    [InlineData("cpu")]
    [InlineData("gpu")]
    public void Deployment_Overlay_SetsResourcesAndIntraOpThreadsMatchingTheCpuLimit(string overlay)
    {
        var rendered = Kustomize.Overlay(overlay);
        var resources = rendered.Server.Resources;

        foreach (var name in new[] { "cpu", "memory" })
        {
            Assert.True(resources.Requests.ContainsKey(name), $"no {name} request");
            Assert.True(resources.Limits.ContainsKey(name), $"no {name} limit");
            Assert.True(resources.Requests[name].ToDecimal() <= resources.Limits[name].ToDecimal(), $"{name} request above its limit");
        }

        var threads = ManifestSettings.BindStrictly(rendered.Settings).Inference.IntraOpThreads;
        Assert.Equal(resources.Limits["cpu"].ToDecimal(), threads);
    }

    [KubectlTheory]
    [InlineData("cpu")]
    [InlineData("gpu")]
    public void Deployment_Overlay_RunsNonRootOnReadOnlyRootWithoutCapabilities(string overlay)
    {
        var rendered = Kustomize.Overlay(overlay);
        var pod = rendered.Pod.SecurityContext;
        var container = rendered.Server.SecurityContext;

        Assert.True(pod.RunAsNonRoot == true || container.RunAsNonRoot == true);
        Assert.NotEqual(0, pod.RunAsUser ?? container.RunAsUser);
        Assert.Equal(DockerfileUser(), (pod.RunAsUser ?? container.RunAsUser)?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(container.ReadOnlyRootFilesystem);
        Assert.False(container.AllowPrivilegeEscalation ?? true);
        Assert.Contains("ALL", container.Capabilities.Drop);
        var tmp = Assert.Single(rendered.Server.VolumeMounts, m => m.MountPath == "/tmp");
        Assert.NotNull(Assert.Single(rendered.Pod.Volumes, v => v.Name == tmp.Name).EmptyDir);
    }

    [KubectlTheory]
    [InlineData("cpu")]
    [InlineData("gpu")]
    public void Ports_Overlay_AreThePortTheImageListensOn(string overlay)
    {
        var rendered = Kustomize.Overlay(overlay);
        var container = rendered.Server;
        var http = Assert.Single(container.Ports);
        var imagePort = DockerfileEnv("ASPNETCORE_HTTP_PORTS");

        Assert.Equal(ImagePort.ToString(System.Globalization.CultureInfo.InvariantCulture), imagePort);
        Assert.Equal(ImagePort, http.ContainerPort);
        foreach (var probe in new[] { container.StartupProbe, container.ReadinessProbe, container.LivenessProbe })
        {
            Assert.NotNull(probe?.HttpGet);
            Assert.Equal(ImagePort, ResolvePort(container, probe.HttpGet.Port));
        }

        Assert.Equal(ImagePort, ResolvePort(container, Assert.Single(rendered.Service.Spec.Ports).TargetPort));
        Assert.Equal(imagePort, rendered.Deployment.Spec.Template.Metadata.Annotations["prometheus.io/port"]);
    }

    [KubectlTheory]
    [InlineData("cpu")]
    [InlineData("gpu")]
    public void ConfigMap_Overlay_ModelsPathIsWhereTheImageBakesTheModels(string overlay)
    {
        var settings = Kustomize.Overlay(overlay).Settings;
        var dockerfile = File.ReadAllText(Path.Combine(Kustomize.RepositoryRoot, "Dockerfile"));

        var modelsPath = settings[ManifestSettings.Prefix + "ModelsPath"];

        Assert.Equal(modelsPath, DockerfileEnv("GanServe__ModelsPath"));
        Assert.Matches(new Regex(@"^COPY\b.*\smodels/\s+" + Regex.Escape(modelsPath.TrimEnd('/')) + "/?$", RegexOptions.Multiline), dockerfile);
    }

    [KubectlTheory]
    [InlineData("cpu")]
    [InlineData("gpu")]
    public void Selectors_Overlay_MatchThePodLabels(string overlay)
    {
        var rendered = Kustomize.Overlay(overlay);
        var labels = rendered.Deployment.Spec.Template.Metadata.Labels;

        Assert.NotEmpty(rendered.Service.Spec.Selector);
        Assert.All(rendered.Service.Spec.Selector, kv => Assert.Equal(kv.Value, labels[kv.Key]));
        Assert.All(rendered.DisruptionBudget.Spec.Selector.MatchLabels, kv => Assert.Equal(kv.Value, labels[kv.Key]));
        Assert.All(rendered.Deployment.Spec.Selector.MatchLabels, kv => Assert.Equal(kv.Value, labels[kv.Key]));
    }

    [KubectlTheory]
    [InlineData("cpu")]
    [InlineData("gpu")]
    public void Autoscaler_Overlay_ScalesTheDeploymentOnCpu(string overlay)
    {
        var rendered = Kustomize.Overlay(overlay);
        var spec = rendered.Autoscaler.Spec;

        Assert.Equal("Deployment", spec.ScaleTargetRef.Kind);
        Assert.Equal(rendered.Deployment.Metadata.Name, spec.ScaleTargetRef.Name);
        Assert.Null(rendered.Deployment.Spec.Replicas);
        Assert.InRange(spec.MinReplicas ?? 1, 1, spec.MaxReplicas);
        var cpu = Assert.Single(spec.Metrics, m => m.Type == "Resource" && m.Resource.Name == "cpu");
        Assert.InRange(cpu.Resource.Target.AverageUtilization ?? 0, 1, 100);
        // Resource utilisation is measured against requests.
        Assert.True(rendered.Server.Resources.Requests.ContainsKey("cpu"));
    }

    [KubectlFact]
    public void Autoscaler_GpuOverlay_AlsoScalesOnQueueDepthPerPod()
    {
        var metrics = Kustomize.Overlay("gpu").Autoscaler.Spec.Metrics;

        var queue = Assert.Single(metrics, m => m.Type == "Pods");
        Assert.Equal(ManifestAppTests.QueueDepthMetric, queue.Pods.Metric.Name);
        Assert.Equal("AverageValue", queue.Pods.Target.Type);
        Assert.True(queue.Pods.Target.AverageValue.ToDecimal() > 0);
    }

    [KubectlFact]
    public void Deployment_GpuOverlay_RequestsOneGpuOnGpuNodesAndRequiresCuda()
    {
        var rendered = Kustomize.Overlay("gpu");
        var resources = rendered.Server.Resources;
        var options = ManifestSettings.ValidateAsTheAppDoes(rendered.Settings);

        Assert.Equal(1m, resources.Limits["nvidia.com/gpu"].ToDecimal());
        Assert.Equal("true", rendered.Pod.NodeSelector["nvidia.com/gpu.present"]);
        Assert.Contains(rendered.Pod.Tolerations, t => t.Key == "nvidia.com/gpu" && t.Effect == "NoSchedule");
        Assert.EndsWith(":gpu", rendered.Server.Image, StringComparison.Ordinal);
        Assert.Equal(ExecutionProviderChoice.Cuda, options.Inference.Provider);
        Assert.True(options.Batching.MaxBatchSize > new GanServeOptions().Batching.MaxBatchSize);
        Assert.NotEmpty(options.Batching.Buckets);
    }

    [KubectlFact]
    public void Deployment_CpuOverlay_RequestsNoGpuAndRunsOnCpu()
    {
        var rendered = Kustomize.Overlay("cpu");
        var options = ManifestSettings.ValidateAsTheAppDoes(rendered.Settings);

        Assert.DoesNotContain("nvidia.com/gpu", rendered.Server.Resources.Limits.Keys);
        Assert.DoesNotContain("nvidia.com/gpu", rendered.Server.Resources.Requests.Keys);
        Assert.EndsWith(":cpu", rendered.Server.Image, StringComparison.Ordinal);
        Assert.Equal(ExecutionProviderChoice.Cpu, options.Inference.Provider);
    }

    private static int ResolvePort(V1Container container, IntOrString port)
    {
        var text = port.ToString();
        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number)
            ? number
            : Assert.Single(container.Ports, p => p.Name == text).ContainerPort;
    }

    private static string DockerfileEnv(string name)
    {
        var dockerfile = File.ReadAllText(Path.Combine(Kustomize.RepositoryRoot, "Dockerfile"));
        var match = new Regex(@"(?:^ENV\s+|^\s+)" + Regex.Escape(name) + @"=(\S+?)\s*\\?$", RegexOptions.Multiline).Match(dockerfile);
        Assert.True(match.Success, $"The Dockerfile sets no {name}.");
        return match.Groups[1].Value;
    }

    private static string DockerfileUser()
    {
        var dockerfile = File.ReadAllText(Path.Combine(Kustomize.RepositoryRoot, "Dockerfile"));
        return UserLine().Matches(dockerfile).Last().Groups[1].Value;
    }

    [GeneratedRegex(@"^USER\s+(\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex UserLine();
}
