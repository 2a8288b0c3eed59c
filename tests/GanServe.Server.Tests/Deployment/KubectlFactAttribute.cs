namespace GanServe.Server.Tests.Deployment;

/// <summary>A fact that needs <c>kubectl</c> (for <c>kubectl kustomize</c>); skipped, saying why, where it is not on PATH.</summary>
public sealed class KubectlFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when kubectl cannot be found.</summary>
    public KubectlFactAttribute()
    {
        if (Kustomize.KubectlPath is null)
        {
            Skip = "kubectl is not on PATH, so the k8s/ overlays cannot be rendered (kubectl kustomize); install kubectl to run this test.";
        }
    }
}

/// <summary>A theory that needs <c>kubectl</c>; skipped, saying why, where it is not on PATH.</summary>
public sealed class KubectlTheoryAttribute : TheoryAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when kubectl cannot be found.</summary>
    public KubectlTheoryAttribute()
    {
        if (Kustomize.KubectlPath is null)
        {
            Skip = "kubectl is not on PATH, so the k8s/ overlays cannot be rendered (kubectl kustomize); install kubectl to run this test.";
        }
    }
}
