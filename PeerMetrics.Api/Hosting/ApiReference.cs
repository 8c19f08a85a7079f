using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace PeerMetrics.Api.Hosting;

/// <summary>
/// The OpenAPI document (<c>/openapi/v1.json</c>, every environment) declares the JWT bearer scheme and requires
/// it on every operation that needs a token, and declares each route's query parameters from the definitions its
/// parser reads (<see cref="QueryParameters"/>: the handlers read the query themselves, so nothing else would
/// declare them); in Development, Scalar serves an interactive reference over it at
/// <c>/scalar</c>, where a pasted token is sent with every call.
/// </summary>
public static class ApiReference
{
    public const string ReferencePath = "/scalar";

    /// <summary>The security scheme's name in the document, the authentication scheme's name in the Api.</summary>
    public const string BearerScheme = JwtBearerDefaults.AuthenticationScheme;

    public static IHostApplicationBuilder AddApiReference(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    BearerFormat = "JWT",
                    Description = "A dashboard token (claim org) or the Prewarmer's refresh token, HS256.",
                };
                return Task.CompletedTask;
            });
            options.AddOperationTransformer((operation, context, _) =>
            {
                // Only the routes behind RequireAuthorization; none is anonymous today, but a future one should not
                // be shown as needing a token.
                if (context.Description.ActionDescriptor.EndpointMetadata.OfType<IAuthorizeData>().Any())
                {
                    operation.Security ??= [];
                    operation.Security.Add(new OpenApiSecurityRequirement
                    {
                        [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [],
                    });
                }
                if (context.Description.ActionDescriptor.EndpointMetadata.OfType<QueryParameters>().FirstOrDefault() is { } query)
                {
                    operation.Parameters ??= [];
                    foreach (var parameter in query.All)
                    {
                        operation.Parameters.Add(parameter.ToOpenApi());
                    }
                }
                return Task.CompletedTask;
            });
        });
        return builder;
    }

    public static WebApplication MapApiReference(this WebApplication app)
    {
        app.MapOpenApi();
        // The interactive reference invites calls with real tokens: a developer's tool, never mapped outside Development.
        if (app.Environment.IsDevelopment())
        {
            app.MapScalarApiReference(ReferencePath, options => options
                .WithTitle("PeerMetrics summary API")
                .AddPreferredSecuritySchemes([BearerScheme])
                .EnablePersistentAuthentication());
        }
        return app;
    }
}
