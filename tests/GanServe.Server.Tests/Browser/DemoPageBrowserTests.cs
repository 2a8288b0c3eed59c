using GanServe.Server.Hosting;
using Microsoft.Playwright;
using SixLabors.ImageSharp;

namespace GanServe.Server.Tests.Browser;

/// <summary>
/// The demo page in Debian's Chromium, driven by Playwright (its bundled driver; no Playwright browser is
/// downloaded), against a real server process on the committed model.
/// </summary>
public sealed class DemoPageBrowserTests
{
    // Without the network flags Chromium tries to reach update and sync hosts this machine cannot reach.
    private static readonly string[] ChromiumArgs =
    [
        "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
    ];

    private const string GridLoaded = """
        (seed) => {
          const images = [...document.querySelectorAll('#grid img')];
          return images.length === 16 && images[0].dataset.seed === seed && images.every(i => i.complete && i.naturalWidth > 0);
        }
        """;

    // A fingerprint of each grid image's decoded pixels (same origin, so the canvas may be read).
    private const string GridFingerprints = """
        () => [...document.querySelectorAll('#grid img')].map(img => {
          const canvas = document.createElement('canvas');
          canvas.width = img.naturalWidth;
          canvas.height = img.naturalHeight;
          const context = canvas.getContext('2d');
          context.drawImage(img, 0, 0);
          const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
          let hash = 0;
          for (let i = 0; i < data.length; i += 4) hash = (Math.imul(hash, 31) + data[i]) >>> 0;
          return `${img.dataset.seed}:${img.naturalWidth}x${img.naturalHeight}:${hash}`;
        })
        """;

    [ChromiumFact]
    public async Task DemoPage_InChromium_ChangesSeedShowsImagesAndPlaysInterpolation()
    {
        await using var server = await ServerProcess.StartAsync(TimeSpan.FromSeconds(120));
        var profile = Directory.CreateTempSubdirectory("ganserve-chromium-");
        try
        {
            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchPersistentContextAsync(profile.FullName, new BrowserTypeLaunchPersistentContextOptions
            {
                ExecutablePath = ChromiumFactAttribute.ChromiumPath,
                Headless = true,
                Args = ChromiumArgs,
                ViewportSize = new ViewportSize { Width = 1200, Height = 900 },
                BaseURL = server.BaseAddress.ToString(),
            });
            browser.SetDefaultTimeout(30_000);
            var page = browser.Pages.Count > 0 ? browser.Pages[0] : await browser.NewPageAsync();
            var problems = new List<string>();
            page.Console += (_, message) =>
            {
                if (message.Type == "error" && message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase))
                {
                    problems.Add(message.Text);
                }
            };
            page.PageError += (_, error) => problems.Add(error);

            var document = await page.GotoAsync("/");
            Assert.NotNull(document);
            Assert.Equal(200, document.Status);
            Assert.Equal(DemoPage.ContentSecurityPolicy, await document.HeaderValueAsync("content-security-policy"));

            await page.WaitForFunctionAsync(GridLoaded, "0");
            var before = await page.EvaluateAsync<string[]>(GridFingerprints);

            await page.FillAsync("#seed", "1000");
            await page.PressAsync("#seed", "Tab");
            await page.WaitForFunctionAsync(GridLoaded, "1000");
            var after = await page.EvaluateAsync<string[]>(GridFingerprints);

            Assert.Equal(16, after.Length);
            Assert.All(after, print => Assert.Contains(":112x112:", print, StringComparison.Ordinal));
            Assert.Equal([.. Enumerable.Range(1000, 16).Select(s => s.ToString(System.Globalization.CultureInfo.InvariantCulture))], after.Select(p => p.Split(':')[0]));
            Assert.True(after.Select(p => p.Split(':')[2]).Distinct().Count() > 8, "Different seeds should mostly give different pixels.");
            Assert.Empty(before.Select(p => p.Split(':')[2]).Intersect(after.Select(p => p.Split(':')[2])));

            // Enlarge a sample, take it as the interpolation's start, and play to another seed.
            await page.ClickAsync("#grid figure:nth-child(3)");
            Assert.Equal("1002", await page.TextContentAsync("#viewer-seed"));
            Assert.Contains("/images/1002.png", await page.GetAttributeAsync("#viewer-link", "href"), StringComparison.Ordinal);
            await page.ClickAsync("#viewer-from");
            await page.ClickAsync("#viewer button[value=close]");
            await page.FillAsync("#interp-to", "1009");
            await page.FillAsync("#interp-frames", "12");
            var gif = await page.RunAndWaitForResponseAsync(() => page.ClickAsync("#interp-play"), r => r.Url.Contains("/interpolate?", StringComparison.Ordinal));
            Assert.Equal(200, gif.Status);
            Assert.Equal("image/gif", await gif.HeaderValueAsync("content-type"));
            Assert.Contains("from=1002&to=1009&frames=12", gif.Url, StringComparison.Ordinal);
            using (var animation = Image.Load(await gif.BodyAsync()))
            {
                Assert.Equal(12, animation.Frames.Count);
            }

            await page.WaitForFunctionAsync("() => { const i = document.getElementById('interp-image'); return i.complete && i.naturalWidth === 112; }");

            // The model card's assets and the live figures.
            await page.WaitForFunctionAsync("() => { const i = [...document.querySelectorAll('#card img')]; return i.length >= 1 && i.every(x => x.complete && x.naturalWidth > 0); }");
            Assert.Contains("Fréchet distance", await page.TextContentAsync("#card"), StringComparison.Ordinal);
            await page.WaitForFunctionAsync("() => document.querySelector('#stats').textContent.includes('Images/s (10 s)')");

            var screenshot = Path.Combine(ServerProcess.RepositoryRoot, "tests", "GanServe.Server.Tests", "TestResults", "browser", "demo-page.png");
            Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
            Assert.Equal(1200, Image.Identify(screenshot).Width);
            Assert.Empty(problems);
        }
        finally
        {
            profile.Delete(recursive: true);
        }
    }
}
