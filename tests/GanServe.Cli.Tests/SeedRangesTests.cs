namespace GanServe.Cli.Tests;

public sealed class SeedRangesTests
{
    [Theory]
    [InlineData("42", new uint[] { 42 })]
    [InlineData("0-3,7", new uint[] { 0, 1, 2, 3, 7 })]
    [InlineData(" 5 - 6 , 1 ", new uint[] { 5, 6, 1 })]
    [InlineData("9-9", new uint[] { 9 })]
    [InlineData("4294967294-4294967295", new uint[] { 4294967294, 4294967295 })]
    public void TryParse_ValidList_ReturnsSeedsInOrder(string text, uint[] expected)
    {
        Assert.True(SeedRanges.TryParse(text, out var seeds, out var error), error);
        Assert.Equal(expected, seeds);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("a", "'a' is not a seed")]
    [InlineData("1,,2", "'' is not a seed")]
    [InlineData("5-3", "runs backwards")]
    [InlineData("1-", "not a seed range")]
    [InlineData("-1", "not a seed range")]
    [InlineData("4294967296", "not a seed")]
    [InlineData("0-4294967295", "more than")]
    public void TryParse_InvalidList_ReturnsFalseWithReason(string text, string reason)
    {
        Assert.False(SeedRanges.TryParse(text, out var seeds, out var error));
        Assert.Empty(seeds);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }
}
