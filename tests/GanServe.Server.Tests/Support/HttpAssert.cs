using System.Net;
using System.Text.Json;

namespace GanServe.Server.Tests.Support;

/// <summary>Assertions on v1 problem-details answers.</summary>
internal static class HttpAssert
{
    /// <summary>Asserts the status, the problem+json media type, the problem type and that the detail holds <paramref name="detailPart"/>.</summary>
    public static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status, string type, string? detailPart = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonSerializer.Deserialize<JsonElement>(body);
        Assert.Equal("urn:ganserve:problem:" + type, problem.GetProperty("type").GetString());
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()));
        if (detailPart is not null)
        {
            Assert.Contains(detailPart, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        return problem;
    }
}
