using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace PeerMetrics.Api.Tests.Hosting;

/// <summary>The OpenAPI document with its bearer scheme, and the Scalar reference over it (Development only).</summary>
[Collection(InfrastructureCollection.Name)]
public sealed class ApiReferenceTests(InfrastructureFixture infrastructure)
{
    [Theory]
    [InlineData("Development", HttpStatusCode.OK)]
    [InlineData("Testing", HttpStatusCode.NotFound)]
    [InlineData("Production", HttpStatusCode.NotFound)]
    public async Task The_reference_is_served_in_development_only(string environment, HttpStatusCode expected)
    {
        await using var api = await StartAsync(environment);
        using var client = api.CreateClient();

        using var page = await client.GetAsync("/scalar");
        using var script = await client.GetAsync("/scalar/scalar.js");

        Assert.Equal(environment, api.Services.GetRequiredService<IHostEnvironment>().EnvironmentName);
        Assert.Equal((expected, expected), (page.StatusCode, script.StatusCode));
        if (expected == HttpStatusCode.OK)
        {
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
            var html = await page.Content.ReadAsStringAsync();
            // The page loads the document this Api serves (relative to the site root) and offers the bearer scheme,
            // keeping a pasted token across reloads.
            Assert.Contains("\"sources\":[{\"title\":\"v1\",\"url\":\"openapi/v1.json\"}]", html, StringComparison.Ordinal);
            Assert.Contains("\"authentication\":{\"preferredSecurityScheme\":[\"Bearer\"]}", html, StringComparison.Ordinal);
            Assert.Contains("\"persistAuth\":true", html, StringComparison.Ordinal);
            // The UI's script is served by the Api itself, not fetched from a CDN.
            Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        }
    }

    [Theory]
    [InlineData("Development")]
    [InlineData("Production")]
    public async Task The_openapi_document_declares_the_bearer_scheme_and_requires_it_on_every_operation(string environment)
    {
        await using var api = await StartAsync(environment);
        using var client = api.CreateClient();

        var document = JsonNode.Parse(await client.GetStringAsync("/openapi/v1.json"))!;

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            {"type":"http","description":"A dashboard token (claim org) or the Prewarmer's refresh token, HS256.",
             "scheme":"bearer","bearerFormat":"JWT"}
            """), document["components"]!["securitySchemes"]!["Bearer"]), document["components"]!.ToJsonString());
        var operations = document["paths"]!.AsObject()
            .SelectMany(path => path.Value!.AsObject().Select(operation => (Name: $"{operation.Key} {path.Key}", Operation: operation.Value!)))
            .ToList();
        // Eight summaries, the drill-down, the Prewarmer's route.
        Assert.Equal(10, operations.Count);
        Assert.All(operations, operation => Assert.True(
            JsonNode.DeepEquals(JsonNode.Parse("""[{"Bearer":[]}]"""), operation.Operation["security"]),
            $"{operation.Name}: {operation.Operation["security"]?.ToJsonString()}"));
    }

    /// <summary>
    /// The handlers read the query themselves, so only the declared definitions put parameters in the document: each
    /// route must list exactly what its parser reads, typed, so that /scalar can send it.
    /// </summary>
    [Fact]
    public async Task The_openapi_document_declares_every_query_parameter_of_every_route()
    {
        await using var api = await StartAsync("Production");
        using var client = api.CreateClient();

        var document = JsonNode.Parse(await client.GetStringAsync("/openapi/v1.json"))!;

        string[] summary = ["appId query string uuid required", "created_at_gte query string date-time", "created_at_lte query string date-time"];
        var expected = new Dictionary<string, string[]>
        {
            ["/v1/conferences/summary"] = summary,
            ["/v1/conferences/duration-summary"] = summary,
            ["/v1/conferences/participant-count-summary"] = summary,
            ["/v1/issues/summary"] = summary,
            ["/v1/issues/gum-summary"] = summary,
            ["/v1/connections/summary"] = summary,
            ["/v1/connections/setup-time-summary"] = summary,
            ["/v1/sessions/summary"] = summary,
            ["/v1/conferences"] =
            [
                "appId query string uuid", "participantId query string uuid", "created_at_gt query string date-time",
                "created_at_gte query string date-time", "created_at_lt query string date-time",
                "created_at_lte query string date-time", "duration_gte query integer int32", "duration_lt query integer int32",
                "issue_code query string", "conference_ids query array of string uuid, not exploded",
                "limit query integer int32", "offset query integer int32",
            ],
            ["/internal/active-apps"] = ["since query string date-time required"],
        };
        var declared = document["paths"]!.AsObject().SelectMany(path =>
            (path.Value!["get"]!["parameters"]?.AsArray() ?? []).Select(parameter => $"{path.Key}: {Describe(parameter)}"));
        Assert.Equal(expected.SelectMany(route => route.Value.Select(parameter => $"{route.Key}: {parameter}")), declared);
        var descriptions = document["paths"]!.AsObject()
            .SelectMany(path => path.Value!["get"]!["parameters"]!.AsArray())
            .Select(parameter => parameter!["description"]?.GetValue<string>());
        Assert.All(descriptions, description => Assert.False(string.IsNullOrWhiteSpace(description)));
    }

    private static string Describe(JsonNode? parameter)
    {
        var schema = parameter!["schema"]!;
        var type = schema["type"]!.GetValue<string>() is "array" and var array
            ? $"{array} of {schema["items"]!["type"]} {schema["items"]!["format"]}"
            : $"{schema["type"]} {schema["format"]}".TrimEnd();
        // Query parameters are form style; not exploded, a list is one comma-separated value.
        var style = parameter["explode"]?.GetValue<bool>() == false ? ", not exploded" : "";
        var required = parameter["required"]?.GetValue<bool>() == true ? " required" : "";
        return $"{parameter["name"]} {parameter["in"]} {type}{style}{required}";
    }

    private async Task<ApiFactory> StartAsync(string environment)
    {
        var api = new ApiFactory(await infrastructure.Postgres.CreateDatabaseAsync(), infrastructure.Redis.ConnectionString,
            new Dictionary<string, string?> { [WebHostDefaults.EnvironmentKey] = environment });
        api.StartServer();
        return api;
    }
}
