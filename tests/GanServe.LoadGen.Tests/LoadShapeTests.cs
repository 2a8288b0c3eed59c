using GanServe.LoadGen.Load;

namespace GanServe.LoadGen.Tests;

public sealed class LoadShapeTests
{
    [Fact]
    public void Parse_WeightedMix_KeepsEntriesAndWeights()
    {
        var mix = RequestMix.Parse("image:png=8, image:webp=1,generate:4=1,generate:2:jpeg");

        Assert.Equal(
            [
                new MixEntry("image", "png", 1, 8),
                new MixEntry("image", "webp", 1, 1),
                new MixEntry("generate", "png", 4, 1),
                new MixEntry("generate", "jpeg", 2, 1),
            ],
            mix.Entries);
        Assert.Equal(11, mix.TotalWeight);
        Assert.Equal("image:png=8,image:webp=1,generate:4=1,generate:2:jpeg=1", mix.ToString());
    }

    [Fact]
    public void At_EachDraw_FallsInItsEntrysShare()
    {
        var mix = RequestMix.Parse("image:png=8,image:webp=1,generate:4=1");

        var picked = Enumerable.Range(0, 10).Select(d => mix.At(d).ToString()).ToArray();

        Assert.Equal(Enumerable.Repeat("image:png=8", 8).Append("image:webp=1").Append("generate:4=1"), picked);
    }

    [Fact]
    public void Pick_ManyDraws_FollowsTheWeights()
    {
        var mix = RequestMix.Parse("image:png=3,generate:2=1");
        var random = new Random(7);

        var generates = Enumerable.Range(0, 4000).Count(_ => mix.Pick(random).Endpoint == RequestMix.Generate);

        Assert.InRange(generates, 900, 1100);
    }

    [Theory]
    [InlineData("")]
    [InlineData("image:gif")]
    [InlineData("image:png=0")]
    [InlineData("image:png=x")]
    [InlineData("generate:0")]
    [InlineData("generate:4:jpg")]
    [InlineData("interpolate:4")]
    public void Parse_BadMix_ThrowsFormatException(string text)
    {
        Assert.Throws<FormatException>(() => RequestMix.Parse(text));
    }

    [Fact]
    public void Schedule_HundredPerSecondForOneSecond_DueEveryTenMilliseconds()
    {
        var schedule = new OpenLoopSchedule(100, TimeSpan.FromSeconds(1));

        Assert.Equal(100, schedule.Total);
        Assert.Equal(TimeSpan.Zero, schedule.DueAt(0));
        Assert.Equal(TimeSpan.FromMilliseconds(500), schedule.DueAt(50));
        Assert.Equal(TimeSpan.FromMilliseconds(990), schedule.DueAt(99));
    }

    [Fact]
    public void DueBy_ElapsedTimes_CountsRequestsDueSoFar()
    {
        var schedule = new OpenLoopSchedule(100, TimeSpan.FromSeconds(1));

        Assert.Equal(0, schedule.DueBy(TimeSpan.FromMilliseconds(-1)));
        Assert.Equal(1, schedule.DueBy(TimeSpan.Zero));
        Assert.Equal(1, schedule.DueBy(TimeSpan.FromMilliseconds(9.9)));
        Assert.Equal(2, schedule.DueBy(TimeSpan.FromMilliseconds(10)));
        Assert.Equal(51, schedule.DueBy(TimeSpan.FromMilliseconds(500)));
        Assert.Equal(100, schedule.DueBy(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void Schedule_FractionalRate_RoundsTheCountUp()
    {
        var schedule = new OpenLoopSchedule(2.5, TimeSpan.FromSeconds(1));

        Assert.Equal(3, schedule.Total);
        Assert.Equal(TimeSpan.FromMilliseconds(800), schedule.DueAt(2));
    }

    [Fact]
    public void Parse_RunOptions_BecomeSettings()
    {
        var settings = LoadCommandLine.Parse(
            ["--url", "http://127.0.0.1:18555", "--rate", "250", "--duration", "3", "--warmup", "0", "--mix", "generate:4=1",
             "--timeout-ms", "50", "--cancel-fraction", "0.25", "--cancel-after", "2", "--max-outstanding", "8", "--seed", "9"]).Settings(sweep: false);

        Assert.Equal(new Uri("http://127.0.0.1:18555"), settings.Url);
        Assert.Null(settings.Clients);
        Assert.Equal(250, settings.Rate);
        Assert.Equal("open", settings.Mode);
        Assert.Equal(TimeSpan.FromSeconds(3), settings.Duration);
        Assert.Equal(TimeSpan.Zero, settings.Warmup);
        Assert.Equal("generate:4=1", settings.Mix.ToString());
        Assert.Equal(50, settings.ServerTimeoutMs);
        Assert.Equal(0.25, settings.CancelFraction);
        Assert.Equal(TimeSpan.FromMilliseconds(2), settings.CancelAfter);
        Assert.Equal(8, settings.MaxOutstanding);
        Assert.Equal(9, settings.Seed);
    }

    [Fact]
    public void Parse_SweepClients_ListsThem()
    {
        var line = LoadCommandLine.Parse(["--clients", "1,4,16", "--latency-budget-ms", "250"]);

        Assert.Equal([1, 4, 16], line.SweepClients);
        Assert.Equal(TimeSpan.FromMilliseconds(250), line.LatencyBudget);
        Assert.Equal(1, line.Settings(sweep: true).Clients);
    }

    [Theory]
    [InlineData("--clinets", "4")]
    [InlineData("--clients")]
    public void Parse_UnknownOrValuelessOption_Throws(params string[] args)
    {
        var error = Assert.Throws<ArgumentException>(() => LoadCommandLine.Parse(args));

        Assert.Contains(args[0], error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData(4, 100.0)]
    [InlineData(0, null)]
    public void Validate_NotExactlyOnePositiveLoad_Throws(int? clients, double? rate)
    {
        var settings = new LoadSettings { Clients = clients, Rate = rate };

        Assert.Throws<ArgumentException>(settings.Validate);
    }

    [Fact]
    public void Validate_UrlThatIsNotHttp_ThrowsNamingTheUrl()
    {
        var settings = new LoadSettings { Clients = 2, Url = new Uri("ftp://127.0.0.1:1/") };

        var error = Assert.Throws<ArgumentException>(settings.Validate);

        Assert.Contains("ftp://127.0.0.1:1/", error.Message, StringComparison.Ordinal);
    }
}
