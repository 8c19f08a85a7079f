using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace PeerMetrics.Api.Problems;

/// <summary>
/// The contract's error codes as RFC 9457 problem details, with the peermetrics API's code in <c>error_code</c> (docs/api.md, Errors).
/// </summary>
public static class ApiProblems
{
    public const string MissingParameters = "missing_parameters";
    public const string InvalidParameters = "invalid_parameters";
    public const string AppNotFound = "app_not_found";
    public const string Unauthorized = "unauthorized";
    public const string ServiceUnavailable = "service_unavailable";
    public const string InternalError = "internal_error";
    public const string TooManyRequests = "too_many_requests";

    /// <summary>An unserved /v1 route while no upstream peermetrics API is configured.</summary>
    public const string NotFound = "not_found";

    /// <summary>A served path asked with a method it does not serve (it is never forwarded).</summary>
    public const string MethodNotAllowed = "method_not_allowed";

    /// <summary>A forwarded request whose body is over the forwarding bound.</summary>
    public const string RequestTooLarge = "request_too_large";

    /// <summary>The upstream peermetrics API could not be reached or failed mid-request.</summary>
    public const string BadGateway = "bad_gateway";

    /// <summary>The upstream peermetrics API did not answer in time.</summary>
    public const string GatewayTimeout = "gateway_timeout";

    public static ProblemHttpResult MissingParameter(string detail) =>
        Create(StatusCodes.Status400BadRequest, MissingParameters, detail);

    public static ProblemHttpResult InvalidParameter(string detail) =>
        Create(StatusCodes.Status400BadRequest, InvalidParameters, detail);

    public static ProblemHttpResult AppNotFoundResult() =>
        Create(StatusCodes.Status404NotFound, AppNotFound, "No app with this id exists in your organization.");

    public static ProblemHttpResult TooManyComputes() =>
        Create(StatusCodes.Status429TooManyRequests, TooManyRequests,
            "Too many summaries of your organization are being computed right now; retry after the time given in Retry-After.");

    public static ProblemDetails Details(int status, string errorCode, string detail) => new()
    {
        Status = status,
        Title = status switch
        {
            StatusCodes.Status400BadRequest => "Bad Request",
            StatusCodes.Status401Unauthorized => "Unauthorized",
            StatusCodes.Status404NotFound => "Not Found",
            StatusCodes.Status405MethodNotAllowed => "Method Not Allowed",
            StatusCodes.Status413PayloadTooLarge => "Content Too Large",
            StatusCodes.Status429TooManyRequests => "Too Many Requests",
            StatusCodes.Status500InternalServerError => "Internal Server Error",
            StatusCodes.Status502BadGateway => "Bad Gateway",
            StatusCodes.Status503ServiceUnavailable => "Service Unavailable",
            StatusCodes.Status504GatewayTimeout => "Gateway Timeout",
            _ => null,
        },
        Type = status switch
        {
            StatusCodes.Status400BadRequest => "https://tools.ietf.org/html/rfc9110#section-15.5.1",
            StatusCodes.Status401Unauthorized => "https://tools.ietf.org/html/rfc9110#section-15.5.2",
            StatusCodes.Status404NotFound => "https://tools.ietf.org/html/rfc9110#section-15.5.5",
            StatusCodes.Status405MethodNotAllowed => "https://tools.ietf.org/html/rfc9110#section-15.5.6",
            StatusCodes.Status413PayloadTooLarge => "https://tools.ietf.org/html/rfc9110#section-15.5.14",
            StatusCodes.Status429TooManyRequests => "https://tools.ietf.org/html/rfc6585#section-4",
            StatusCodes.Status500InternalServerError => "https://tools.ietf.org/html/rfc9110#section-15.6.1",
            StatusCodes.Status502BadGateway => "https://tools.ietf.org/html/rfc9110#section-15.6.3",
            StatusCodes.Status503ServiceUnavailable => "https://tools.ietf.org/html/rfc9110#section-15.6.4",
            StatusCodes.Status504GatewayTimeout => "https://tools.ietf.org/html/rfc9110#section-15.6.5",
            _ => null,
        },
        Detail = detail,
        Extensions = { ["error_code"] = errorCode },
    };

    /// <summary>
    /// Writes the problem directly, for answers given outside an endpoint's result (authentication challenges, the
    /// exception handler, the forwarder).
    /// </summary>
    public static Task WriteAsync(HttpContext http, int status, string errorCode, string detail)
    {
        http.Response.StatusCode = status;
        return http.Response.WriteAsJsonAsync(Details(status, errorCode, detail), (System.Text.Json.JsonSerializerOptions?)null,
            "application/problem+json", http.RequestAborted);
    }

    private static ProblemHttpResult Create(int status, string errorCode, string detail) =>
        TypedResults.Problem(Details(status, errorCode, detail));
}
