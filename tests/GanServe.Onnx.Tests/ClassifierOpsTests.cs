namespace GanServe.Onnx.Tests;

public sealed class ClassifierOpsTests
{
    private const double Tolerance = 1e-5;

    private static Conv2dWeights RandomConv(int inChannels, int outChannels, int kernel, int stride, int padding, int seed) =>
        new(
            Ort.RandomInput(outChannels * inChannels * kernel * kernel, seed, scale: 0.5),
            Ort.RandomInput(outChannels, seed + 1, scale: 0.2),
            inChannels,
            outChannels,
            kernel,
            stride,
            padding);

    private static BatchNormWeights RandomNorm(int channels, int seed)
    {
        var random = new Random(seed);
        float Uniform(double low, double high) => (float)(low + ((high - low) * random.NextDouble()));
        return new BatchNormWeights(
            Enumerable.Range(0, channels).Select(_ => Uniform(0.5, 1.5)).ToArray(),
            Enumerable.Range(0, channels).Select(_ => Uniform(-0.3, 0.3)).ToArray(),
            Enumerable.Range(0, channels).Select(_ => Uniform(-0.5, 0.5)).ToArray(),
            Enumerable.Range(0, channels).Select(_ => Uniform(0.2, 2.0)).ToArray(),
            1e-5f);
    }

    private static Nchw ToNchw(float[] x, int n, int c, int h, int w) => new(Array.ConvertAll(x, v => (double)v), n, c, h, w);

    [Fact]
    public void Run_TinyCnnWithLogitsAndFeatures_MatchesReference()
    {
        const int Batch = 3;
        var conv = RandomConv(1, 4, 3, 1, 1, seed: 1);
        var fc = new DenseWeights(Ort.RandomInput(5 * 64, seed: 3, scale: 0.2), Ort.RandomInput(5, seed: 4, scale: 0.1), 64, 5);
        var builder = new OnnxGraphBuilder("classifier");
        builder.AddInput("x", "N", 1, 8, 8);
        builder.AddOutput("logits", "N", 5);
        builder.AddOutput("features", "N", 64);
        var h = builder.Conv2d("x", conv);
        h = builder.Relu(h);
        h = builder.MaxPool(h, kernel: 2);
        h = builder.Flatten(h, output: "features");
        builder.Dense(h, fc, "logits");
        var x = Ort.RandomInput(Batch * 64, seed: 5);
        using var session = Ort.Session(builder.ToBytes());

        var outputs = Ort.Run(session, "x", x, [Batch, 1, 8, 8], "logits", "features");

        var features = ReferenceOps.Conv(ToNchw(x, Batch, 1, 8, 8), conv);
        features = ReferenceOps.Pool(ReferenceOps.Map(features, ReferenceOps.Relu), 2, 2, 0, max: true, countIncludePad: false);
        var logits = ReferenceOps.Linear(features.Data, Batch, fc);
        Assert.Equal([Batch, 5L], outputs[0].Shape);
        Assert.Equal([Batch, 64L], outputs[1].Shape);
        Assert.InRange(Ort.MaxAbsDiff(outputs[0].Data, logits), 0, Tolerance);
        Assert.InRange(Ort.MaxAbsDiff(outputs[1].Data, features.Data), 0, Tolerance);
        Assert.Equal([-1, 5], session.OutputMetadata["logits"].Dimensions);
        Assert.Equal([-1, 64], session.OutputMetadata["features"].Dimensions);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(false, false)]
    public void Run_PoolingWithPadding_MatchesReference(bool max, bool countIncludePad)
    {
        const int Batch = 2;
        var builder = new OnnxGraphBuilder();
        builder.AddInput("x", "N", 2, 7, 7);
        builder.AddOutput("y", "N", 2, 4, 4);
        if (max)
        {
            builder.MaxPool("x", kernel: 3, stride: 2, padding: 1, output: "y");
        }
        else
        {
            builder.AveragePool("x", kernel: 3, stride: 2, padding: 1, countIncludePad: countIncludePad, output: "y");
        }

        var x = Ort.RandomInput(Batch * 2 * 49, seed: 6);
        using var session = Ort.Session(builder.ToBytes());

        var (y, shape) = Ort.Run(session, "x", x, [Batch, 2, 7, 7], "y")[0];

        var expected = ReferenceOps.Pool(ToNchw(x, Batch, 2, 7, 7), 3, 2, 1, max, countIncludePad);
        Assert.Equal([Batch, 2L, 4L, 4L], shape);
        Assert.InRange(Ort.MaxAbsDiff(y, expected.Data), 0, Tolerance);
    }

    [Fact]
    public void Run_ConvBatchNormFoldedAndUnfolded_BothMatchReference()
    {
        const int Batch = 2;
        var conv = RandomConv(2, 3, 3, 2, 1, seed: 7);
        var norm = RandomNorm(3, seed: 8);
        var builder = new OnnxGraphBuilder();
        builder.AddInput("x", "N", 2, 9, 9);
        builder.AddOutput("unfolded", "N", 3, 5, 5);
        builder.AddOutput("folded", "N", 3, 5, 5);
        builder.BatchNormalization(builder.Conv2d("x", conv), norm, "unfolded");
        builder.Conv2d("x", BatchNormFolding.FoldIntoConv(conv, norm), "folded");
        var x = Ort.RandomInput(Batch * 2 * 81, seed: 9);
        using var session = Ort.Session(builder.ToBytes());

        var outputs = Ort.Run(session, "x", x, [Batch, 2, 9, 9], "unfolded", "folded");

        var expected = ReferenceOps.BatchNorm(ReferenceOps.Conv(ToNchw(x, Batch, 2, 9, 9), conv), norm);
        Assert.InRange(Ort.MaxAbsDiff(outputs[0].Data, expected.Data), 0, Tolerance);
        Assert.InRange(Ort.MaxAbsDiff(outputs[1].Data, expected.Data), 0, Tolerance);
    }

    [Fact]
    public void Run_GlobalPoolActivationsAndSoftmax_MatchReference()
    {
        const int Batch = 2;
        var builder = new OnnxGraphBuilder();
        builder.AddInput("x", "N", 3, 4, 4);
        builder.AddOutput("probs", "N", 3);
        builder.AddOutput("leaky", "N", 3, 4, 4);
        builder.AddOutput("gate", "N", 3, 4, 4);
        builder.LeakyRelu("x", 0.2f, "leaky");
        builder.Sigmoid("x", "gate");
        var pooled = builder.Flatten(builder.GlobalAveragePool("x"));
        builder.Softmax(builder.Add(pooled, builder.Identity(pooled)), axis: 1, output: "probs");
        var x = Ort.RandomInput(Batch * 48, seed: 10);
        using var session = Ort.Session(builder.ToBytes());

        var outputs = Ort.Run(session, "x", x, [Batch, 3, 4, 4], "probs", "leaky", "gate");

        var probs = new double[Batch * 3];
        for (var n = 0; n < Batch; n++)
        {
            var logits = Enumerable.Range(0, 3).Select(c => 2 * x.Skip(((n * 3) + c) * 16).Take(16).Average(v => (double)v)).ToArray();
            var total = logits.Sum(Math.Exp);
            for (var c = 0; c < 3; c++)
            {
                probs[(n * 3) + c] = Math.Exp(logits[c]) / total;
            }
        }

        Assert.InRange(Ort.MaxAbsDiff(outputs[0].Data, probs), 0, Tolerance);
        Assert.InRange(Ort.MaxAbsDiff(outputs[1].Data, x.Select(v => v >= 0 ? v : 0.2 * v).ToArray()), 0, Tolerance);
        Assert.InRange(Ort.MaxAbsDiff(outputs[2].Data, x.Select(v => 1 / (1 + Math.Exp(-v))).ToArray()), 0, Tolerance);
    }

    [Fact]
    public void Conv_WeightIsInitializer_WritesKernelShape()
    {
        var builder = new OnnxGraphBuilder();
        builder.AddInput("x", "N", 2, 9, 9);

        builder.Conv2d("x", RandomConv(2, 3, 3, 2, 1, seed: 1), "c");
        builder.AddOutput("c", "N", 3, 5, 5);

        var node = Assert.Single(builder.Build().Graph.Node);
        Assert.Equal([3L, 3L], node.Attribute.Single(a => a.Name == "kernel_shape").Ints);
        Assert.Equal([2L, 2L], node.Attribute.Single(a => a.Name == "strides").Ints);
        Assert.Equal([1L, 1L, 1L, 1L], node.Attribute.Single(a => a.Name == "pads").Ints);
    }
}
