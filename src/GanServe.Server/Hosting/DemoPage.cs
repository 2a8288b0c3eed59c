using Microsoft.Extensions.FileProviders;

namespace GanServe.Server.Hosting;

/// <summary>
/// The demo page at <c>/</c>: plain HTML, CSS and JavaScript from <c>wwwroot</c>, each answer with a
/// Content-Security-Policy that allows only this origin (no CDN, no inline code).
/// </summary>
public static class DemoPage
{
    /// <summary>The page's policy: everything from this origin only, no plugins, no framing by others.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; "
        + "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'";

    private const string IndexFile = "index.html";

    /// <summary>Serves <c>/</c> (index.html) and the page's assets.</summary>
    public static WebApplication UseDemoPage(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var files = FindWebRoot(app.Environment);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files, DefaultFileNames = [IndexFile] });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            OnPrepareResponse = static context =>
            {
                var headers = context.Context.Response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers.CacheControl = "no-cache";
            },
        });
        return app;
    }

    /// <summary>
    /// The content root's <c>wwwroot</c> (tests, <c>dotnet run</c>, a published app run from its folder); else the one
    /// beside the assembly (a published app run from elsewhere); else the project's own, found above the build output
    /// next to <c>GanServe.sln</c> (<c>dotnet GanServe.Server.dll</c> from a build folder).
    /// </summary>
    internal static IFileProvider FindWebRoot(IWebHostEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (environment.WebRootFileProvider.GetFileInfo(IndexFile).Exists)
        {
            return environment.WebRootFileProvider;
        }

        var besideAssembly = Path.Combine(AppContext.BaseDirectory, "wwwroot");
        if (File.Exists(Path.Combine(besideAssembly, IndexFile)))
        {
            return new PhysicalFileProvider(besideAssembly);
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "src", "GanServe.Server", "wwwroot");
            if (File.Exists(Path.Combine(dir.FullName, "GanServe.sln")) && File.Exists(Path.Combine(candidate, IndexFile)))
            {
                return new PhysicalFileProvider(candidate);
            }
        }

        return environment.WebRootFileProvider;
    }
}
