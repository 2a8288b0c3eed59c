namespace GanServe.Server.Tests.Browser;

/// <summary>A fact that needs Debian's Chromium at <c>/usr/bin/chromium</c>; skipped, saying why, where it is absent.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    /// <summary>Where Debian's <c>chromium</c> package puts the browser.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>Sets <see cref="FactAttribute.Skip"/> when the browser is not installed.</summary>
    public ChromiumFactAttribute()
    {
        if (!File.Exists(ChromiumPath))
        {
            Skip = $"{ChromiumPath} is absent, so the demo page cannot be tested in a browser; install Debian's chromium package (apt-get install chromium), as .ci/run does.";
        }
    }
}
