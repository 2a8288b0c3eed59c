using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace GanServe.Server.Api;

/// <summary>Marks an endpoint whose 200 answer may be binary image bytes, in the media types listed.</summary>
/// <param name="ContentTypes">The media types of the bytes.</param>
public sealed record ImageResponseMetadata(params string[] ContentTypes)
{
    /// <summary>The three encodings the image endpoints produce.</summary>
    public static ImageResponseMetadata Images { get; } = new("image/png", "image/jpeg", "image/webp");

    /// <summary>
    /// Adds the binary media types to the 200 response of marked operations (declaring them with Produces
    /// would replace, not join, the JSON schema of the same status).
    /// </summary>
    public static Task AddToOperation(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(context);
        var metadata = context.Description.ActionDescriptor.EndpointMetadata.OfType<ImageResponseMetadata>().FirstOrDefault();
        if (metadata is null)
        {
            return Task.CompletedTask;
        }

        operation.Responses ??= [];
        if (!operation.Responses.TryGetValue("200", out var response))
        {
            response = new OpenApiResponse { Description = "OK" };
            operation.Responses["200"] = response;
        }

        if (response is OpenApiResponse concrete)
        {
            concrete.Content ??= new Dictionary<string, OpenApiMediaType>();
            foreach (var type in metadata.ContentTypes)
            {
                concrete.Content[type] = new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" } };
            }
        }

        return Task.CompletedTask;
    }
}
