namespace GanServe.Onnx.Tests;

public sealed class BatchNormFoldingTests
{
    private static BatchNormWeights Norm(int channels) => new(
        Enumerable.Range(0, channels).Select(c => 0.5f + (0.25f * c)).ToArray(),
        Enumerable.Range(0, channels).Select(c => 0.1f * (c - 1)).ToArray(),
        Enumerable.Range(0, channels).Select(c => 0.3f * (c - 1)).ToArray(),
        Enumerable.Range(0, channels).Select(c => 0.4f + c).ToArray(),
        1e-3f);

    private static double MaxDiff(double[] a, double[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();

    [Fact]
    public void FoldIntoDense_ChannelsSpanSeveralFeatures_MatchesExplicitBatchNorm()
    {
        // 3 channels of 2x2 features each, as the generator projection reshaped to [3, 2, 2].
        var dense = new DenseWeights(Ort.RandomInput(12 * 5, seed: 1), Ort.RandomInput(12, seed: 2), 5, 12);
        var norm = Norm(3);
        var x = Array.ConvertAll(Ort.RandomInput(2 * 5, seed: 3), v => (double)v);

        var folded = ReferenceOps.Linear(x, 2, BatchNormFolding.FoldIntoDense(dense, norm, featuresPerChannel: 4));

        var expected = ReferenceOps.BatchNorm(new Nchw(ReferenceOps.Linear(x, 2, dense), 2, 3, 2, 2), norm);
        Assert.InRange(MaxDiff(folded, expected.Data), 0, 1e-5);
    }

    [Fact]
    public void FoldIntoConvTranspose_WithoutBias_MatchesExplicitBatchNorm()
    {
        var conv = new ConvTransposeWeights(Ort.RandomInput(2 * 3 * 16, seed: 4), null, 2, 3, 4, 2, 1);
        var norm = Norm(3);
        var x = new Nchw(Array.ConvertAll(Ort.RandomInput(2 * 9, seed: 5), v => (double)v), 1, 2, 3, 3);

        var folded = ReferenceOps.ConvTranspose(x, BatchNormFolding.FoldIntoConvTranspose(conv, norm));

        var expected = ReferenceOps.BatchNorm(ReferenceOps.ConvTranspose(x, conv), norm);
        Assert.InRange(MaxDiff(folded.Data, expected.Data), 0, 1e-5);
    }

    [Fact]
    public void FoldIntoConv_WithBias_MatchesExplicitBatchNorm()
    {
        var conv = new Conv2dWeights(Ort.RandomInput(3 * 2 * 9, seed: 6), [0.5f, -0.25f, 1f], 2, 3, 3, 1, 1);
        var norm = Norm(3);
        var x = new Nchw(Array.ConvertAll(Ort.RandomInput(2 * 16, seed: 7), v => (double)v), 1, 2, 4, 4);

        var folded = ReferenceOps.Conv(x, BatchNormFolding.FoldIntoConv(conv, norm));

        var expected = ReferenceOps.BatchNorm(ReferenceOps.Conv(x, conv), norm);
        Assert.InRange(MaxDiff(folded.Data, expected.Data), 0, 1e-5);
    }

    [Fact]
    public void FoldIntoDense_NormChannelCountWrong_ThrowsArgumentException()
    {
        var dense = new DenseWeights(new float[12 * 5], null, 5, 12);

        Assert.Throws<ArgumentException>(() => BatchNormFolding.FoldIntoDense(dense, Norm(2), featuresPerChannel: 4));
        Assert.Throws<ArgumentException>(() => BatchNormFolding.FoldIntoDense(dense, Norm(3), featuresPerChannel: 5));
    }
}
