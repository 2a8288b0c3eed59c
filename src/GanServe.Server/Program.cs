using GanServe.Server.Api;
using GanServe.Server.Health;
using GanServe.Server.Hosting;
using GanServe.Server.Metrics;

var builder = WebApplication.CreateBuilder(args);
builder.AddGanServing();

var app = builder.Build();
app.UseGanServing();
app.MapHealthEndpoints();
app.MapMetricsEndpoints();
app.MapModelsApi();
app.MapImagesApi();
app.MapGenerationApi();
app.MapApiDocs();

app.Run();
