using Microsoft.OpenApi;

namespace PeerMetrics.Api.Hosting;

/// <summary>What a query parameter holds: its OpenAPI schema follows from it.</summary>
public enum QueryValue
{
    /// <summary>A UUID, any of .NET's accepted forms (hyphens, braces).</summary>
    Uuid,

    /// <summary>An ISO 8601 date-time; no offset means UTC.</summary>
    Instant,

    /// <summary>A 32-bit integer, optionally signed.</summary>
    Integer,

    /// <summary>Free text.</summary>
    Text,

    /// <summary>Comma-separated UUIDs.</summary>
    UuidList,
}

/// <summary>
/// A query parameter of a route, declared once: the route's parser reads the query by <see cref="Name"/>, and the
/// OpenAPI document declares the parameter from this same value (the endpoint's <see cref="QueryParameters"/>
/// metadata, read by <see cref="ApiReference"/>), so the document cannot name a parameter the parser does not read.
/// </summary>
public sealed record QueryParameter(string Name, QueryValue Value, string Description, bool Required = false)
{
    /// <summary>The parameter as the OpenAPI document declares it.</summary>
    public OpenApiParameter ToOpenApi() => new()
    {
        Name = Name,
        In = ParameterLocation.Query,
        Required = Required,
        Description = Description,
        Schema = Value switch
        {
            QueryValue.Uuid => new OpenApiSchema { Type = JsonSchemaType.String, Format = "uuid" },
            QueryValue.Instant => new OpenApiSchema { Type = JsonSchemaType.String, Format = "date-time" },
            QueryValue.Integer => new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32" },
            QueryValue.Text => new OpenApiSchema { Type = JsonSchemaType.String },
            QueryValue.UuidList => new OpenApiSchema
            {
                Type = JsonSchemaType.Array,
                Items = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uuid" },
            },
            _ => throw new InvalidOperationException($"Unknown query value kind {Value}."),
        },
        // A list is one value, its items separated by commas: conference_ids=a,b,c.
        Style = Value == QueryValue.UuidList ? ParameterStyle.Form : null,
        Explode = Value != QueryValue.UuidList,
    };
}

/// <summary>Endpoint metadata: every query parameter a route reads, in the order the document lists them.</summary>
public sealed record QueryParameters(IReadOnlyList<QueryParameter> All);

public static class QueryParameterExtensions
{
    /// <summary>Declares the query parameters <paramref name="builder"/>'s routes read (see <see cref="QueryParameter"/>).</summary>
    public static TBuilder WithQueryParameters<TBuilder>(this TBuilder builder, IReadOnlyList<QueryParameter> parameters)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new QueryParameters(parameters));
}
