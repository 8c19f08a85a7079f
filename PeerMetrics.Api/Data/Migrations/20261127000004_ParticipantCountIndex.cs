using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace PeerMetrics.Api.Data.Migrations;

/// <summary>The index the participant-count summary anti-joins against (participants who never count).</summary>
[DbContext(typeof(PeerMetricsDbContext))]
[Migration("20261127000004_ParticipantCountIndex")]
public sealed class ParticipantCountIndex : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.Sql(SqlScript.Read("ParticipantCountIndex.sql"));
}
