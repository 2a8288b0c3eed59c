namespace GanServe.Server.Api;

/// <summary>The OpenAPI document (<c>/openapi/v1.json</c>) and an interactive page for it (<c>/docs</c>) served from embedded assets.</summary>
public static class ApiDocs
{
    /// <summary>The document's route.</summary>
    public const string DocumentPath = "/openapi/v1.json";

    /// <summary>Maps the document and the page.</summary>
    public static WebApplication MapApiDocs(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapOpenApi();

        // Swagger UI's files are embedded in its assembly, so the page works with no network.
        app.UseSwaggerUI(ui =>
        {
            ui.RoutePrefix = "docs";
            ui.DocumentTitle = "GanServe API";
            ui.SwaggerEndpoint(DocumentPath, "GanServe v1");
        });
        return app;
    }
}
