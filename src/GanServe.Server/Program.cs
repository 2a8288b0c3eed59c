using GanServe.Server.Api;
using GanServe.Server.Health;
using GanServe.Server.Hosting;
using GanServe.Server.Metrics;

try
{
    var builder = WebApplication.CreateBuilder(args);
    builder.AddGanServing();

    var app = builder.Build();
    app.UseGanServing();
    app.UseDemoPage();
    app.MapHealthEndpoints();
    app.MapMetricsEndpoints();
    app.MapModelsApi();
    app.MapImagesApi();
    app.MapInterpolationApi();
    app.MapGenerationApi();
    app.MapOpenInferenceApi();
    app.MapApiDocs();

    app.Run();
    return 0;
}
catch (Exception error) when (StartupFailure.IsThisProcess() && StartupFailure.Describe(error) is { } reason)
{
    // A setting the server refuses: one line naming it, and an exit code that says "configuration". Hosted by
    // another program (WebApplicationFactory in the tests), the exception goes to that host instead.
    Console.Error.WriteLine(reason);
    return StartupFailure.ConfigurationExitCode;
}
