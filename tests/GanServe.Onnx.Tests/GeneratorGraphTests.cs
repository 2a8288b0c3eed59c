using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace GanServe.Onnx.Tests;

public sealed class GeneratorGraphTests
{
    // DCGAN MNIST shape: Linear 100 -> 128*7*7, BN, ReLU, ConvT 128 -> 64 (k4 s2 p1), BN, ReLU, ConvT 64 -> 1, Tanh.
    private static readonly GeneratorWeights Mnist = RandomGeneratorWeights.Create(100, 1, 128, 7, 1, seed: 11);

    // RGB 3x16x16 from latent 32: 4 -> 8 (block) -> 16 (output conv).
    private static readonly GeneratorWeights Rgb = RandomGeneratorWeights.Create(32, 3, 64, 4, 1, seed: 22);

    private static GeneratorWeights Named(string name) => name switch
    {
        "mnist" => Mnist,
        "rgb" => Rgb,
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Fact]
    public void Create_DcganMnistArguments_BuildsDcganLayerShapes()
    {
        Assert.Equal(100, Mnist.Project.InFeatures);
        Assert.Equal(128 * 7 * 7, Mnist.Project.OutFeatures);
        Assert.Null(Mnist.Project.Bias);
        var block = Assert.Single(Mnist.Blocks);
        Assert.Equal((128, 64, 4, 2, 1), (block.Conv.InChannels, block.Conv.OutChannels, block.Conv.Kernel, block.Conv.Stride, block.Conv.Padding));
        Assert.Equal((64, 1, 4, 2, 1), (Mnist.Output.InChannels, Mnist.Output.OutChannels, Mnist.Output.Kernel, Mnist.Output.Stride, Mnist.Output.Padding));
        Assert.NotNull(Mnist.Output.Bias);
        Assert.Equal(new GeneratorOutputShape(1, 28, 28), GeneratorGraph.OutputShape(Mnist));
        Assert.Equal(new GeneratorOutputShape(3, 16, 16), GeneratorGraph.OutputShape(Rgb));
    }

    [Fact]
    public void Create_SameSeed_SameWeights()
    {
        var a = RandomGeneratorWeights.Create(8, 3, 16, 4, 2, seed: 5);
        var b = RandomGeneratorWeights.Create(8, 3, 16, 4, 2, seed: 5);
        var c = RandomGeneratorWeights.Create(8, 3, 16, 4, 2, seed: 6);

        Assert.Equal(a.Project.Weight, b.Project.Weight);
        Assert.Equal(a.Blocks[1].Norm.RunningVar, b.Blocks[1].Norm.RunningVar);
        Assert.Equal(a.Output.Weight, b.Output.Weight);
        Assert.NotEqual(a.Project.Weight, c.Project.Weight);
        Assert.Equal(new GeneratorOutputShape(3, 32, 32), GeneratorGraph.OutputShape(a));
    }

    [Fact]
    public void Build_RandomGenerator_FoldsBatchNormIntoGemmAndConvTranspose()
    {
        var model = GeneratorGraph.Build(Mnist);

        Assert.Equal(8, model.IrVersion);
        var opset = Assert.Single(model.OpsetImport);
        Assert.Equal(string.Empty, opset.Domain);
        Assert.Equal(GeneratorGraph.Opset, opset.Version);
        Assert.Equal(
            ["Gemm", "Reshape", "Relu", "ConvTranspose", "Relu", "ConvTranspose", "Tanh"],
            model.Graph.Node.Select(n => n.OpType));
        var gemm = model.Graph.Node[0];
        Assert.Equal(1, gemm.Attribute.Single(a => a.Name == "transB").I);
        Assert.Equal(3, gemm.Input.Count); // folding gives the bias-free projection a bias
        Assert.Equal("z", Assert.Single(model.Graph.Input).Name);
        Assert.Equal("image", Assert.Single(model.Graph.Output).Name);
    }

    [Fact]
    public void Build_RandomGenerator_DeclaresSymbolicBatchAndConcreteImageShape()
    {
        var model = GeneratorGraph.Build(Rgb);

        var input = model.Graph.Input[0].Type.TensorType;
        var output = model.Graph.Output[0].Type.TensorType;
        Assert.Equal((int)TensorProto.Types.DataType.Float, input.ElemType);
        Assert.Equal((int)TensorProto.Types.DataType.Float, output.ElemType);
        Assert.Equal("N", input.Shape.Dim[0].DimParam);
        Assert.Equal(32, input.Shape.Dim[1].DimValue);
        Assert.Equal("N", output.Shape.Dim[0].DimParam);
        Assert.Equal([3L, 16L, 16L], output.Shape.Dim.Skip(1).Select(d => d.DimValue));
    }

    [Theory]
    [InlineData("mnist", 100, 1, 28, 28)]
    [InlineData("rgb", 32, 3, 16, 16)]
    public void Save_RandomGenerator_SessionReportsInputAndOutputShapes(string name, int latent, int c, int h, int w)
    {
        var path = Path.Combine(Path.GetTempPath(), $"ganserve-onnx-test-{Guid.NewGuid():N}", "generator.onnx");
        try
        {
            GeneratorGraph.Save(Named(name), path);
            using var session = new InferenceSession(path);

            var input = Assert.Single(session.InputMetadata);
            Assert.Equal("z", input.Key);
            Assert.Equal([-1, latent], input.Value.Dimensions);
            Assert.Equal("N", input.Value.SymbolicDimensions[0]);
            var output = Assert.Single(session.OutputMetadata);
            Assert.Equal("image", output.Key);
            Assert.Equal([-1, c, h, w], output.Value.Dimensions);
            Assert.Equal(typeof(float), output.Value.ElementType);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    [Theory]
    [InlineData("mnist", 1)]
    [InlineData("mnist", 7)]
    [InlineData("mnist", 64)]
    [InlineData("rgb", 1)]
    [InlineData("rgb", 7)]
    [InlineData("rgb", 64)]
    public void Run_RandomGenerator_MatchesUnfoldedReferenceForward(string name, int batch)
    {
        var weights = Named(name);
        var shape = GeneratorGraph.OutputShape(weights);
        var z = Ort.RandomInput(batch * weights.LatentDim, seed: batch);
        using var session = Ort.Session(GeneratorGraph.ToBytes(weights));

        var (image, imageShape) = Ort.Run(session, "z", z, [batch, weights.LatentDim], "image")[0];

        Assert.Equal([batch, shape.Channels, shape.Height, shape.Width], imageShape);
        var expected = ReferenceGenerator.Forward(weights, z, batch);
        Assert.InRange(Ort.MaxAbsDiff(image, expected.Data), 0, 1e-5);
        Assert.All(image, v => Assert.InRange(v, -1f, 1f));
    }

    [Fact]
    public void Run_RandomGenerator_OutputsSpreadAcrossTanhRange()
    {
        const int Batch = 16;
        var z = Ort.RandomInput(Batch * Mnist.LatentDim, seed: 3);
        using var session = Ort.Session(GeneratorGraph.ToBytes(Mnist));

        var image = Ort.Run(session, "z", z, [Batch, Mnist.LatentDim], "image")[0].Data;

        // Random weights are only useful to tests if images neither collapse to a constant nor saturate tanh.
        var mean = image.Average();
        var std = Math.Sqrt(image.Average(v => (v - mean) * (v - mean)));
        Assert.InRange(std, 0.1, 0.9);
        Assert.InRange(image.Count(v => Math.Abs(v) > 0.999f) / (double)image.Length, 0, 0.2);
        Assert.NotEqual(image.AsSpan(0, 28 * 28).ToArray(), image.AsSpan(28 * 28, 28 * 28).ToArray());
    }

    [Fact]
    public void Run_GeneratorWithEveryBiasAndCustomNames_MatchesReferenceForward()
    {
        var random = RandomGeneratorWeights.Create(16, 2, 32, 3, 2, seed: 9);
        var weights = random with
        {
            Project = random.Project with { Bias = Ort.RandomInput(random.Project.OutFeatures, seed: 1, scale: 0.3) },
            Blocks = random.Blocks
                .Select((b, i) => b with { Conv = b.Conv with { Bias = Ort.RandomInput(b.Conv.OutChannels, seed: 10 + i, scale: 0.3) } })
                .ToArray(),
        };
        const int Batch = 5;
        var z = Ort.RandomInput(Batch * weights.LatentDim, seed: 4);
        using var session = Ort.Session(GeneratorGraph.ToBytes(weights, "latent", "pixels"));

        var (image, shape) = Ort.Run(session, "latent", z, [Batch, weights.LatentDim], "pixels")[0];

        Assert.Equal([Batch, 2L, 24L, 24L], shape);
        Assert.InRange(Ort.MaxAbsDiff(image, ReferenceGenerator.Forward(weights, z, Batch).Data), 0, 1e-5);
    }

    [Fact]
    public void Build_BlockChannelsDoNotChain_ThrowsArgumentException()
    {
        var broken = Rgb with { Output = Rgb.Output with { InChannels = 7, Weight = new float[7 * 3 * 4 * 4] } };

        var error = Assert.Throws<ArgumentException>(() => GeneratorGraph.Build(broken));
        Assert.Contains("Output.InChannels", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_ProjectionSizeMismatch_ThrowsArgumentException()
    {
        var broken = Rgb with { ProjectSize = 5 };

        var error = Assert.Throws<ArgumentException>(() => GeneratorGraph.Build(broken));
        Assert.Contains("ProjectChannels * ProjectSize^2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_WeightArrayTooShort_ThrowsArgumentException()
    {
        var broken = Rgb with { Project = Rgb.Project with { Weight = new float[3] } };

        var error = Assert.Throws<ArgumentException>(() => GeneratorGraph.Build(broken));
        Assert.Contains("Project.Weight", error.Message, StringComparison.Ordinal);
    }
}
