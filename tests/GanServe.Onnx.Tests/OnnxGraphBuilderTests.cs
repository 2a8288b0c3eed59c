using Google.Protobuf;
using Onnx;

namespace GanServe.Onnx.Tests;

public sealed class OnnxGraphBuilderTests
{
    private static OnnxGraphBuilder ScaleGraph()
    {
        var builder = new OnnxGraphBuilder("scale");
        builder.AddInput("x", "N", 3);
        builder.AddOutput("y", "N", 3);
        var two = builder.AddInitializer("two", [2f, 2f, 2f], 3);
        builder.AddNode("Mul", ["x", two], ["y"]);
        return builder;
    }

    [Fact]
    public void Build_SimpleGraph_WritesOpsetIrVersionProducerAndMetadata()
    {
        var builder = ScaleGraph();
        builder.AddMetadata("kind", "test");

        var model = ModelProto.Parser.ParseFrom(builder.ToBytes());

        Assert.Equal(OnnxGraphBuilder.DefaultIrVersion, model.IrVersion);
        Assert.Equal(17, Assert.Single(model.OpsetImport).Version);
        Assert.Equal("GanServe", model.ProducerName);
        Assert.Equal("scale", model.Graph.Name);
        var entry = Assert.Single(model.MetadataProps);
        Assert.Equal(("kind", "test"), (entry.Key, entry.Value));
        var two = Assert.Single(model.Graph.Initializer);
        Assert.Equal([3L], two.Dims);
        Assert.Equal((int)TensorProto.Types.DataType.Float, two.DataType);
        Assert.Equal(12, two.RawData.Length);
    }

    [Fact]
    public void Run_SimpleGraph_ComputesWithSymbolicBatch()
    {
        using var session = Ort.Session(ScaleGraph().ToBytes());

        var (y, shape) = Ort.Run(session, "x", [1f, 2f, 3f, -4f, 5f, 6f], [2, 3], "y")[0];

        Assert.Equal([2L, 3L], shape);
        Assert.Equal([2f, 4f, 6f, -8f, 10f, 12f], y);
        Assert.Equal("N", session.InputMetadata["x"].SymbolicDimensions[0]);
    }

    [Fact]
    public void Build_CalledTwice_EarlierModelUnaffectedByLaterNodes()
    {
        var builder = ScaleGraph();
        var first = builder.Build();

        builder.Relu("y", "z");
        builder.AddOutput("z", "N", 3);
        var second = builder.Build();

        Assert.Single(first.Graph.Node);
        Assert.Single(first.Graph.Output);
        Assert.Equal(2, second.Graph.Node.Count);
    }

    [Fact]
    public void AddNode_InputNotDefined_ThrowsInvalidOperationException()
    {
        var builder = new OnnxGraphBuilder();
        builder.AddInput("x", "N", 3);

        var error = Assert.Throws<InvalidOperationException>(() => builder.AddNode("Add", ["x", "missing"], ["y"]));
        Assert.Contains("'missing'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddNode_OutputAlreadyDefined_ThrowsInvalidOperationException()
    {
        var builder = new OnnxGraphBuilder();
        builder.AddInput("x", "N", 3);

        Assert.Throws<InvalidOperationException>(() => builder.Relu("x", "x"));
    }

    [Fact]
    public void AddNode_EmptyOptionalInput_IsAccepted()
    {
        var builder = new OnnxGraphBuilder();
        builder.AddInput("x", "N", 3);

        var node = builder.AddNode("Clip", ["x", string.Empty, string.Empty], ["y"]);

        Assert.Equal(["x", "", ""], node.Input);
    }

    [Fact]
    public void AddInitializer_LengthDoesNotMatchShape_ThrowsArgumentException()
    {
        var builder = new OnnxGraphBuilder();

        Assert.Throws<ArgumentException>(() => builder.AddInitializer("w", [1f, 2f, 3f], 2, 2));
    }

    [Fact]
    public void AddInput_NameTaken_ThrowsInvalidOperationException()
    {
        var builder = new OnnxGraphBuilder();
        builder.AddInitializer("w", [1f], 1);

        Assert.Throws<InvalidOperationException>(() => builder.AddInput("w", "N", 1));
    }

    [Fact]
    public void AddOutput_DeclaredTwice_ThrowsInvalidOperationException()
    {
        var builder = ScaleGraph();

        Assert.Throws<InvalidOperationException>(() => builder.AddOutput("y", "N", 3));
    }

    [Fact]
    public void Build_OutputNeverProduced_ThrowsInvalidOperationException()
    {
        var builder = new OnnxGraphBuilder();
        builder.AddInput("x", "N", 3);
        builder.AddOutput("y", "N", 3);

        var error = Assert.Throws<InvalidOperationException>(builder.Build);
        Assert.Contains("'y'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UniqueName_PrefixOrGeneratedNameTaken_ReturnsUnusedName()
    {
        var builder = new OnnxGraphBuilder();
        builder.AddInput("relu_0", "N");

        var first = builder.Relu("relu_0");
        var second = builder.Relu(first);

        Assert.NotEqual("relu_0", first);
        Assert.NotEqual(first, second);
        Assert.True(builder.Contains(first) && builder.Contains(second));
    }

    [Fact]
    public void Dense_OutputNameGiven_NamesInitializersAfterIt()
    {
        var builder = new OnnxGraphBuilder();
        builder.AddInput("x", "N", 2);

        builder.Dense("x", new DenseWeights([1f, 2f, 3f, 4f, 5f, 6f], [0f, 1f, 2f], 2, 3), "fc");

        Assert.Equal([3L, 2L], builder.InitializerShape("fc.weight"));
        Assert.Equal([3L], builder.InitializerShape("fc.bias"));
        Assert.Null(builder.InitializerShape("x"));
    }

    [Fact]
    public void Save_PathInNewDirectory_WritesParsableModel()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"ganserve-onnx-test-{Guid.NewGuid():N}");
        var path = Path.Combine(directory, "nested", "scale.onnx");
        try
        {
            ScaleGraph().Save(path);

            var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
            Assert.Equal("Mul", Assert.Single(model.Graph.Node).OpType);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void OnnxDim_ImplicitConversions_ProduceFixedAndSymbolicDims()
    {
        OnnxDim batch = "N";
        OnnxDim width = 28;

        Assert.True(batch.IsSymbolic);
        Assert.Equal("N", batch.ToString());
        Assert.False(width.IsSymbolic);
        Assert.Equal(28, width.Value);
        Assert.Throws<ArgumentOutOfRangeException>(() => OnnxDim.Fixed(-1));
    }

    [Fact]
    public void OnnxAttributes_Factories_SetTypeAndValue()
    {
        Assert.Equal(AttributeProto.Types.AttributeType.Int, OnnxAttributes.Int("axis", 1).Type);
        Assert.Equal([1L, 2L], OnnxAttributes.Ints("pads", 1, 2).Ints);
        Assert.Equal(0.2f, OnnxAttributes.Float("alpha", 0.2f).F);
        Assert.Equal([0.5f], OnnxAttributes.Floats("scales", 0.5f).Floats);
        Assert.Equal(ByteString.CopyFromUtf8("VALID"), OnnxAttributes.String("auto_pad", "VALID").S);
    }
}
