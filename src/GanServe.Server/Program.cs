using GanServe.Server.Api;
using GanServe.Server.Health;
using GanServe.Server.Hosting;
using GanServe.Server.Metrics;

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
