using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using PeerMetrics.Tokens;
using PeerMetrics.Api.Data;
using PeerMetrics.Api.Hosting;
using PeerMetrics.Api.Problems;

namespace PeerMetrics.Api.Summaries;

/// <summary>GET /v1/conferences: the drill-down list behind a chart bar.</summary>
/// <remarks>
/// Not a summary: it is not cached and takes its own filters (<see cref="ConferenceListRequestParser"/>), read by
/// one statement (<see cref="ConferenceListSql"/>). Choices where the contract is silent:
/// <list type="bullet">
/// <item>created_at_* filters use the exact instants given (the minute rule exists for the summaries' cache
/// keys; a drill-down is never cached), parsed exactly as the summaries parse them.</item>
/// <item><c>participantId</c> is the participant row's UUID (<c>participant.id</c>, what the dashboard has in
/// hand), not the SDK's participant_id string; "joined" means linked through participant_conferences.</item>
/// <item>A parameter given with an empty value counts as absent.</item>
/// <item>Without limit and offset the whole list is streamed as it is read (memory does not grow with the rows),
/// under the organization's compute bound (<see cref="ComputeLimiter"/>): it can be as costly as a summary.</item>
/// <item>Only active conferences are listed, like the summaries count them; <c>participants_count</c> uses the
/// participant-count-summary rule (active, not SFU, at least one session in the conference).</item>
/// </list>
/// </remarks>
public static class ConferenceListApi
{
    public static RouteGroupBuilder MapConferenceList(this RouteGroupBuilder group)
    {
        group.MapGet("/conferences", ListConferences)
            .WithName("conferences.list")
            .WithSummary("The conferences behind a chart bar, oldest first; paginated when limit or offset is given.")
            .WithDescription("At least one filter (any parameter but limit and offset) is required.")
            .WithTags("Conferences")
            .WithQueryParameters(ConferenceListRequestParser.Parameters)
            .Produces<ConferenceListBody>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        return group;
    }

    private static async Task<Results<ConferenceStream, Ok<ConferencePageBody>, ProblemHttpResult>> ListConferences(
        HttpContext http, AppDirectory apps, ComputeLimiter limiter, PeerMetricsDbContext db,
        IOptions<DatabaseOptions> databaseOptions, CancellationToken ct)
    {
        var parsed = ConferenceListRequestParser.Parse(http.Request.Query);
        if (parsed.Problem is { } invalid)
        {
            return invalid;
        }
        var request = parsed.Value;

        var organizationId = http.User.GetOrganizationId();
        if (organizationId is null)
        {
            return ApiProblems.AppNotFoundResult();
        }
        if (request.AppId is { } appId && await apps.ReadableOwnerAsync(http.User, appId, ct) != organizationId)
        {
            return ApiProblems.AppNotFoundResult();
        }

        // Bounded work: past the timeout Npgsql cancels the statement on the server (503, never a 500).
        db.Database.SetCommandTimeout(databaseOptions.Value.StatementTimeoutSeconds);
        var rows = db.Database.SqlQueryRaw<ConferenceListRow>(
            ConferenceListSql.For(request), ConferenceListSql.Parameters(organizationId.Value, request));

        if (request.Page is null)
        {
            IDisposable slot;
            try
            {
                slot = await limiter.AcquireAsync(organizationId.Value, ct);
            }
            catch (ComputeRejectedException rejected)
            {
                return rejected.ToProblem(http.Response);
            }
            return new ConferenceStream(slot,
                rows.AsAsyncEnumerable().Where(row => row.HasConference).Select(row => row.ToConference()));
        }

        var page = await rows.ToListAsync(ct);
        return TypedResults.Ok(new ConferencePageBody(
            page.Where(row => row.HasConference).Select(row => row.ToConference()).ToList(),
            page.Count == 0 ? 0 : page[0].Total));
    }
}
