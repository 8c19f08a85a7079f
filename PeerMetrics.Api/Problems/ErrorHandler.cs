using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Diagnostics;
using PeerMetrics.Api.Data;
using PeerMetrics.Api.Summaries.Definitions;

namespace PeerMetrics.Api.Problems;

/// <summary>
/// Turns an exception into the contract's problem body. A database that cannot be reached, or a statement past
/// <c>Database:StatementTimeout</c>, is the service being unavailable (503 <c>service_unavailable</c>, a warning); anything else is a bug (500 with a generic detail,
/// logged at Error with the operation and the SQLSTATE, and counted). Neither body carries SQL or a stack trace.
/// </summary>
public sealed partial class ErrorHandler : IExceptionHandler
{
    public const string MeterName = "PeerMetrics.Api.Errors";

    private readonly ILogger<ErrorHandler> _logger;
    private readonly Counter<long> _failures;

    public ErrorHandler(ILogger<ErrorHandler> logger, IMeterFactory meterFactory)
    {
        _logger = logger;
        _failures = meterFactory.Create(MeterName).CreateCounter<long>("peermetrics.api.failures", unit: "{request}",
            description: "Requests that failed with a server error that is not an outage (a bug), by operation and SQLSTATE.");
    }

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (DatabaseFailure.IsTimeout(exception))
        {
            LogTimedOut(exception.GetBaseException().Message);
            await ApiProblems.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, ApiProblems.ServiceUnavailable,
                "The query did not finish within the statement timeout; try again shortly or with a narrower window.");
            return true;
        }
        if (DatabaseFailure.IsUnreachable(exception))
        {
            LogUnavailable(exception.GetBaseException().Message);
            await ApiProblems.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, ApiProblems.ServiceUnavailable,
                "The database is unavailable; try again shortly.");
            return true;
        }

        // The middleware has cleared the request's endpoint by now; the feature keeps the one that failed.
        var endpoint = context.Features.Get<IExceptionHandlerFeature>()?.Endpoint;
        var operation = endpoint?.Metadata.GetMetadata<SummaryDefinition>()?.Label
            ?? endpoint?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName
            ?? "unknown";
        var sqlState = DatabaseFailure.SqlState(exception) ?? "none";
        LogFailure(exception, operation, sqlState);
        _failures.Add(1, new("operation", operation), new("db.response.status_code", sqlState));
        await ApiProblems.WriteAsync(context, StatusCodes.Status500InternalServerError, ApiProblems.InternalError,
            "The request failed because of an error in the service. It has been logged.");
        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Statement timed out (Database:StatementTimeout): {Message}")]
    private partial void LogTimedOut(string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database unavailable: {Message}")]
    private partial void LogUnavailable(string message);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Operation} failed (SQLSTATE {SqlState}): a bug or a schema this service cannot serve, not an outage")]
    private partial void LogFailure(Exception exception, string operation, string sqlState);
}
