using GanServe.Core.Imaging;
using GanServe.Server.Imaging;
using GanServe.Server.Inference;

namespace GanServe.Server.Tests.Imaging;

public sealed class ImageRendererTests
{
    private static readonly ImageShape Fashion = new(1, 28, 28);

    [Theory]
    [InlineData(37, 37, 16, "webp", true)]   // 37 × 28 × 16 = 16576 px wide: over WebP's 16383
    [InlineData(36, 36, 16, "webp", false)]  // 16128 px wide
    [InlineData(37, 1, 16, "webp", true)]    // one column, 16576 px tall
    [InlineData(37, 37, 16, "png", false)]
    [InlineData(37, 37, 16, "jpeg", false)]
    public void SizeProblem_GridSideBeyondTheFormat_IsReported(int count, int columns, int scale, string format, bool expectProblem)
    {
        Assert.True(ImageFormats.TryParse(format, out var parsed));
        var options = new RenderOptions(parsed, scale, Grid: true, Columns: columns);

        var problem = ImageRenderer.SizeProblem(count, Fashion, options, maxPixels: long.MaxValue);

        Assert.Equal(expectProblem, problem is not null);
        if (expectProblem)
        {
            Assert.Contains("16383 pixels a side", problem, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void SizeProblem_TooManyPixels_NamesTheLimit()
    {
        var problem = ImageRenderer.SizeProblem(64, Fashion, new RenderOptions(ImageFormat.Png, 16, Grid: false, Columns: 8), maxPixels: 1000);

        Assert.Contains("MaxPixelsPerResponse", problem, StringComparison.Ordinal);
    }
}
