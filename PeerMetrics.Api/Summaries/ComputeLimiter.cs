using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using PeerMetrics.Api.Problems;

namespace PeerMetrics.Api.Summaries;

/// <summary>Bounds on concurrent summary computes, bound from the <c>SummaryCompute</c> section.</summary>
public sealed class ComputeLimitOptions
{
    public const string SectionName = "SummaryCompute";

    /// <summary>Computes one organization may run at once: one tenant's cold requests cannot take every core.</summary>
    public int PerOrganization { get; set; } = 1;

    /// <summary>Computes all organizations together may run at once: what Postgres is asked to carry.</summary>
    public int Total { get; set; } = 4;

    /// <summary>Requests of one organization that may wait for a compute slot; more are refused at once.</summary>
    public int QueuePerOrganization { get; set; } = 32;

    /// <summary>How long a request waits for a compute slot before it is refused.</summary>
    public TimeSpan QueueTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>A compute was refused: its organization's queue is full, or it waited <see cref="ComputeLimitOptions.QueueTimeout"/>.</summary>
public sealed class ComputeRejectedException(TimeSpan retryAfter) : Exception("Too many summary computes in flight for this organization.")
{
    public TimeSpan RetryAfter { get; } = retryAfter;

    /// <summary>The 429 answer: problem+json <c>too_many_requests</c> with <c>Retry-After</c> in whole seconds.</summary>
    public ProblemHttpResult ToProblem(HttpResponse response)
    {
        response.Headers.RetryAfter = ((int)Math.Ceiling(RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return ApiProblems.TooManyComputes();
    }
}

/// <summary>
/// Admission to a cold compute, per organization and in total, with System.Threading.RateLimiting's concurrency
/// limiters (the primitives behind ASP.NET Core's rate limiting). It guards the compute itself, not the endpoint:
/// the middleware would run before the cache is read, and a cache hit must never wait or be refused.
/// </summary>
public sealed class ComputeLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<Guid> _limiter;
    private readonly ComputeLimitOptions _settings;

    public ComputeLimiter(IOptions<ComputeLimitOptions> options)
    {
        _settings = options.Value;
        var settings = _settings;
        var perOrganization = PartitionedRateLimiter.Create<Guid, Guid>(organization =>
            RateLimitPartition.GetConcurrencyLimiter(organization, _ => new ConcurrencyLimiterOptions
            {
                PermitLimit = settings.PerOrganization,
                QueueLimit = settings.QueuePerOrganization,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            }));
        var total = PartitionedRateLimiter.Create<Guid, string>(_ =>
            RateLimitPartition.GetConcurrencyLimiter("total", _ => new ConcurrencyLimiterOptions
            {
                PermitLimit = settings.Total,
                // Every request admitted by its organization's limiter may wait here.
                QueueLimit = int.MaxValue,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            }));
        _limiter = PartitionedRateLimiter.CreateChained(perOrganization, total);
    }

    /// <summary>Waits for a compute slot of <paramref name="organizationId"/>; throws <see cref="ComputeRejectedException"/> when none comes.</summary>
    public async Task<IDisposable> AcquireAsync(Guid organizationId, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_settings.QueueTimeout);
        RateLimitLease lease;
        try
        {
            lease = await _limiter.AcquireAsync(organizationId, 1, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ComputeRejectedException(_settings.QueueTimeout);
        }
        if (!lease.IsAcquired)
        {
            lease.Dispose();
            throw new ComputeRejectedException(TimeSpan.FromSeconds(1));
        }
        return lease;
    }

    /// <summary>Requests of <paramref name="organizationId"/> waiting for a compute slot now.</summary>
    public long Queued(Guid organizationId) => _limiter.GetStatistics(organizationId)?.CurrentQueuedCount ?? 0;

    public void Dispose() => _limiter.Dispose();
}
