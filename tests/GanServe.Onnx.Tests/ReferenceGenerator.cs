namespace GanServe.Onnx.Tests;

/// <summary>The generator's forward pass layer by layer with batch norm applied explicitly, never folded.</summary>
internal static class ReferenceGenerator
{
    /// <summary>Runs z[batch, LatentDim] through the generator; returns images [batch, C, H, W].</summary>
    public static Nchw Forward(GeneratorWeights weights, float[] z, int batch)
    {
        var s = weights.ProjectSize;
        var projected = ReferenceOps.Linear(Array.ConvertAll(z, v => (double)v), batch, weights.Project);
        var x = new Nchw(projected, batch, weights.ProjectChannels, s, s);
        x = ReferenceOps.Map(ReferenceOps.BatchNorm(x, weights.ProjectNorm), ReferenceOps.Relu);
        foreach (var block in weights.Blocks)
        {
            x = ReferenceOps.ConvTranspose(x, block.Conv);
            x = ReferenceOps.Map(ReferenceOps.BatchNorm(x, block.Norm), ReferenceOps.Relu);
        }

        return ReferenceOps.Map(ReferenceOps.ConvTranspose(x, weights.Output), Math.Tanh);
    }
}
