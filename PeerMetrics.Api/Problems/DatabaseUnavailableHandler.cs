using Microsoft.AspNetCore.Diagnostics;
using Npgsql;

namespace PeerMetrics.Api.Problems;

/// <summary>
/// A database that cannot be reached is the service being unavailable, not a bug: answer 503
/// <c>service_unavailable</c> instead of a 500.
/// </summary>
public sealed class DatabaseUnavailableHandler(ILogger<DatabaseUnavailableHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (!IsDatabaseUnavailable(exception))
        {
            return false;
        }

        logger.LogWarning("Database unavailable: {Message}", exception.GetBaseException().Message);
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        await context.Response.WriteAsJsonAsync(
            ApiProblems.Details(StatusCodes.Status503ServiceUnavailable, ApiProblems.ServiceUnavailable,
                "The database is unavailable; try again shortly."),
            (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json", cancellationToken);
        return true;
    }

    public static bool IsDatabaseUnavailable(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is NpgsqlException or TimeoutException || current is System.Net.Sockets.SocketException)
            {
                return true;
            }
        }
        return false;
    }
}
