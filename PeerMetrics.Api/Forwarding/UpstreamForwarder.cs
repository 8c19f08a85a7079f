using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using PeerMetrics.Api.Hosting;
using PeerMetrics.Api.Problems;
using Yarp.ReverseProxy.Forwarder;

namespace PeerMetrics.Api.Forwarding;

/// <summary>
/// Answers every /v1 request no served route matched: a served path with another method is 405 (never forwarded);
/// otherwise the request goes to the upstream peermetrics API unchanged (method, path, query, body, cookies and
/// headers; Host is the upstream's, X-Forwarded-* are added) and its answer streams back unchanged. No upstream
/// configured is 404 <c>not_found</c>; an upstream that fails is 502 <c>bad_gateway</c> (504 <c>gateway_timeout</c>
/// when it does not answer in time). Nothing here is cached.
/// </summary>
internal sealed partial class UpstreamForwarder : IDisposable
{
    /// <summary>The longest a connection to the upstream may take to open.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The longest the upstream may stay silent (no response headers, no body data) during one request.</summary>
    public static readonly TimeSpan ActivityTimeout = TimeSpan.FromSeconds(100);

    private static readonly ForwarderRequestConfig RequestConfig = new() { ActivityTimeout = ActivityTimeout };

    private readonly IHttpForwarder _forwarder;
    private readonly ServedRoutes _served;
    private readonly UpstreamMetrics _metrics;
    private readonly ILogger<UpstreamForwarder> _logger;
    private readonly string? _destinationPrefix;
    private readonly HttpMessageInvoker _client;

    public UpstreamForwarder(IHttpForwarder forwarder, EndpointDataSource endpoints, UpstreamMetrics metrics,
        IOptions<UpstreamOptions> options, ILogger<UpstreamForwarder> logger)
    {
        _forwarder = forwarder;
        _served = new ServedRoutes(endpoints);
        _metrics = metrics;
        _logger = logger;
        _destinationPrefix = options.Value.DestinationPrefix;
        // One client for every forwarded call, set up as a proxy needs it: the answer is passed on as it came
        // (compressed, a redirect, Set-Cookie), and the cookies are the caller's, never a jar of our own.
        _client = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = ConnectTimeout,
            // The caller's trace headers are replaced by the forwarded call's span, not sent twice.
            ActivityHeadersPropagator = new ReverseProxyPropagator(DistributedContextPropagator.Current),
        }, disposeHandler: true);
    }

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        if (_served.AllowedMethodsIfServed(request.Path, request.Method) is { } allowed)
        {
            ReadNoBody(context);
            context.Response.Headers.Allow = string.Join(", ", allowed);
            await ApiProblems.WriteAsync(context, StatusCodes.Status405MethodNotAllowed, ApiProblems.MethodNotAllowed,
                $"{request.Path} is served by this service with {string.Join(", ", allowed)} only.");
            return;
        }
        if (_destinationPrefix is null)
        {
            ReadNoBody(context);
            await ApiProblems.WriteAsync(context, StatusCodes.Status404NotFound, ApiProblems.NotFound,
                "No route matches; this service forwards no route because no upstream peermetrics API (Api:Upstream) is configured.");
            return;
        }
        if (request.ContentLength > UpstreamForwarding.MaxRequestBodyBytes)
        {
            // Kestrel would refuse to read it; the upstream is not bothered with a request that cannot complete.
            ReadNoBody(context);
            await WriteTooLargeAsync(context);
            return;
        }

        // The upstream's answer is passed on as it is: an empty 404 from it must not get a body of ours.
        if (context.Features.Get<IStatusCodePagesFeature>() is { } statusCodePages)
        {
            statusCodePages.Enabled = false;
        }
        var error = await _forwarder.SendAsync(context, _destinationPrefix, _client, RequestConfig, HttpTransformer.Default);
        if (error != ForwarderError.None)
        {
            await HandleFailureAsync(context, error);
        }
        _metrics.Forwarded(request.Path, context.Response.StatusCode);
    }

    private async Task HandleFailureAsync(HttpContext context, ForwarderError error)
    {
        var exception = context.GetForwarderErrorFeature()?.Exception;
        LogFailure(error, context.Request.Method, UpstreamMetrics.Route(context.Request.Path), exception?.GetBaseException().Message);
        if (context.Response.HasStarted || context.RequestAborted.IsCancellationRequested)
        {
            // Mid-answer the forwarder has already aborted the response; a caller that left gets nothing.
            return;
        }
        // The forwarder has set the status that fits the failure; the body says it in the contract's terms.
        switch (context.Response.StatusCode)
        {
            case StatusCodes.Status413PayloadTooLarge:
                await WriteTooLargeAsync(context);
                break;
            case StatusCodes.Status504GatewayTimeout:
                await ApiProblems.WriteAsync(context, StatusCodes.Status504GatewayTimeout, ApiProblems.GatewayTimeout,
                    "The upstream peermetrics API did not answer in time.");
                break;
            case >= StatusCodes.Status500InternalServerError:
                await ApiProblems.WriteAsync(context, StatusCodes.Status502BadGateway, ApiProblems.BadGateway,
                    "The upstream peermetrics API could not be reached or failed to answer.");
                break;
            default:
                // A request the caller broke off or sent malformed (400): the status alone says it.
                break;
        }
    }

    /// <summary>
    /// Routing has raised the body limit for this endpoint (<see cref="UpstreamForwarding.MaxRequestBodyBytes"/>);
    /// an answer that forwards nothing puts back the global one, so that, like a served route's, its body is
    /// neither read nor drained.
    /// </summary>
    private static void ReadNoBody(HttpContext context)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = RequestLimits.MaxRequestBodyBytes;
        }
    }

    private static Task WriteTooLargeAsync(HttpContext context) =>
        ApiProblems.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, ApiProblems.RequestTooLarge,
            $"A forwarded request body may be at most {UpstreamForwarding.MaxRequestBodyBytes} bytes.");

    public void Dispose() => _client.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Forwarding {Method} {Route} to the upstream failed ({Error}): {Message}")]
    private partial void LogFailure(ForwarderError error, string method, string route, string? message);
}
