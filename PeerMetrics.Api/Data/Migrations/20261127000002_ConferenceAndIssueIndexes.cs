using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace PeerMetrics.Api.Data.Migrations;

/// <summary>Indexes the conferences and issues summaries and the conferences drill-down rely on.</summary>
[DbContext(typeof(PeerMetricsDbContext))]
[Migration("20261127000002_ConferenceAndIssueIndexes")]
public sealed class ConferenceAndIssueIndexes : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.Sql(SqlScript.Read("ConferenceAndIssueIndexes.sql"));
}
