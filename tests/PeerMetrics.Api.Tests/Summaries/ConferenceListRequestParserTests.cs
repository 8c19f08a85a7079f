using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using PeerMetrics.Api.Summaries;

namespace PeerMetrics.Api.Tests.Summaries;

/// <summary>
/// The drill-down's parser on its own: the exact problem each refused query gets (status, error code and detail,
/// which the route tests do not read), and the request an accepted one becomes.
/// </summary>
public sealed class ConferenceListRequestParserTests
{
    private const string Conference = "11111111-1111-1111-1111-111111111111";
    private const string Other = "22222222-2222-2222-2222-222222222222";

    [Theory]
    [InlineData("", "missing_parameters",
        "At least one filter is required: appId, participantId, created_at_gt, created_at_gte, created_at_lt, created_at_lte, duration_gte, duration_lt, issue_code, conference_ids")]
    [InlineData("limit=10&offset=0&appId=%20", "missing_parameters",
        "At least one filter is required: appId, participantId, created_at_gt, created_at_gte, created_at_lt, created_at_lte, duration_gte, duration_lt, issue_code, conference_ids")]
    [InlineData("appId=x", "invalid_parameters", "appId is not a UUID")]
    [InlineData("appId=" + Conference + "&appId=" + Other, "invalid_parameters", "appId is not a UUID")]
    [InlineData("participantId=42", "invalid_parameters", "participantId is not a UUID")]
    [InlineData("created_at_gt=yesterday", "invalid_parameters", "created_at_gt is not an ISO 8601 date")]
    [InlineData("created_at_lte=9999-12-31T23:59Z", "invalid_parameters",
        "created_at_lte must be between 0001-01-01T00:00:00Z and 9998-12-31T23:59:59.9999999Z")]
    [InlineData("created_at_gte=2026-03-28T10:01Z&created_at_lte=2026-03-28T10:00Z", "invalid_parameters",
        "created_at_gte is after created_at_lte")]
    [InlineData("duration_gte=ten", "invalid_parameters", "duration_gte is not an integer")]
    [InlineData("duration_lt=2147483648", "invalid_parameters", "duration_lt is not an integer")]
    [InlineData("issue_code=ice%00failed", "invalid_parameters", "issue_code must be at most 200 printable characters")]
    [InlineData("conference_ids=" + Conference + ",nope", "invalid_parameters", "conference_ids must be comma-separated UUIDs")]
    [InlineData("appId=" + Conference + "&limit=1.5", "invalid_parameters", "limit is not an integer")]
    [InlineData("appId=" + Conference + "&offset=-1", "invalid_parameters", "offset must be 0 or more")]
    // The first refused parameter in the listed order answers, and the bounds are checked after every value.
    [InlineData("offset=x&duration_gte=ten&participantId=42&appId=x", "invalid_parameters", "appId is not a UUID")]
    [InlineData("created_at_gte=2026-03-28T10:01Z&created_at_lte=2026-03-28T10:00Z&limit=x", "invalid_parameters",
        "limit is not an integer")]
    public void A_refused_query_gets_its_problem(string query, string errorCode, string detail)
    {
        var problem = Assert.IsType<Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult>(Parse(query).Problem);

        Assert.Equal(StatusCodes.Status400BadRequest, problem.StatusCode);
        Assert.Equal(errorCode, problem.ProblemDetails.Extensions["error_code"]);
        Assert.Equal(detail, problem.ProblemDetails.Detail);
    }

    [Fact]
    public void More_than_the_most_conference_ids_is_refused()
    {
        var ids = string.Join(',', Enumerable.Repeat(Conference, ConferenceListRequestParser.MaxConferenceIds + 1));

        Assert.Equal($"conference_ids has more than {ConferenceListRequestParser.MaxConferenceIds} ids",
            Parse($"conference_ids={ids}").Problem?.ProblemDetails.Detail);
    }

    [Fact]
    public void Values_are_trimmed_blank_ones_absent_and_repeated_ids_joined()
    {
        var result = Parse($"appId=%20{Conference}%20&participantId=&created_at_gte=%202026-03-28T10:00:30.5Z%20" +
            $"&duration_lt=+60&issue_code=%20ice_failed%20&conference_ids={Conference}&conference_ids=%20{Other},");

        Assert.Null(result.Problem);
        Assert.Equal(new ConferenceListRequest(Guid.Parse(Conference), null, null,
            new DateTime(2026, 3, 28, 10, 0, 30, 500, DateTimeKind.Utc), null, null, null, 60, "ice_failed",
            result.Value.ConferenceIds, null), result.Value);
        Assert.Equal([Guid.Parse(Conference), Guid.Parse(Other)], result.Value.ConferenceIds!);
    }

    [Theory]
    [InlineData("", null, null)]
    [InlineData("&limit=", 50, 0)]
    [InlineData("&offset", 50, 0)]
    [InlineData("&limit=0&offset=3", 1, 3)]
    [InlineData("&limit=500", 200, 0)]
    [InlineData("&limit=5&offset=203", 5, 203)]
    public void Limit_or_offset_given_even_empty_makes_a_clamped_page(string paging, int? limit, int? offset)
    {
        var result = Parse($"duration_gte=1{paging}");

        Assert.Null(result.Problem);
        Assert.Equal(limit is null ? null : new ConferencePage(limit.Value, offset!.Value), result.Value.Page);
    }

    private static ConferenceListRequestParser.Result Parse(string query) =>
        ConferenceListRequestParser.Parse(new QueryCollection(QueryHelpers.ParseQuery("?" + query)));
}
