namespace PeerMetrics.Api.Tests;

/// <summary>The command line of <c>seed</c> and <c>rollups</c>: help, refusals and their exit code.</summary>
[Collection(InfrastructureCollection.Name)]
public sealed class ApiCommandLineTests(InfrastructureFixture infrastructure)
{
    // Nothing listens there: a refused command line never gets as far as a database.
    private const string Unreachable = "Host=127.0.0.1;Port=1;Database=none";

    [Fact]
    public async Task The_executables_help_lists_both_commands_and_other_arguments_start_the_web_host()
    {
        Assert.All(new[] { ["--help"], ["seed", "--scale", "1"], new[] { "rollups" } }, args => Assert.True(ApiCommandLine.IsCommand(args)));
        Assert.All(new[] { [], new[] { "--urls", "http://127.0.0.1:5080" } }, args => Assert.False(ApiCommandLine.IsCommand(args)));

        var (exit, stdout, stderr) = await ApiCommands.RunAsync(["--help"], Unreachable);

        Assert.Equal(CommandExit.Ok, exit);
        Assert.Equal("", stderr);
        Assert.Matches(@"(?m)^  seed\s+Wipes the peermetrics tables", stdout);
        Assert.Matches(@"(?m)^  rollups\s+The write-time rollups", stdout);
    }

    [Fact]
    public async Task Seed_help_lists_its_options_on_stdout_and_runs_nothing()
    {
        var (exit, stdout, stderr) = await ApiCommands.RunAsync(["seed", "--help"], Unreachable);

        Assert.Equal(CommandExit.Ok, exit);
        Assert.Equal("", stderr);
        Assert.Contains("Usage:", stdout);
        Assert.Contains(" seed [options]", stdout);
        Assert.Matches(@"--scale <number> \(REQUIRED\)\s+size of the demo data", stdout);
        Assert.Matches(@"--force\s+also wipe a database the seed did not fill", stdout);
    }

    [Fact]
    public async Task Rollups_help_lists_its_commands_and_verify_help_its_option()
    {
        var (exit, stdout, stderr) = await ApiCommands.RunAsync(["rollups", "-h"], Unreachable);

        Assert.Equal(CommandExit.Ok, exit);
        Assert.Equal("", stderr);
        foreach (var verb in new[] { "install", "uninstall", "status", "verify", "script" })
        {
            Assert.Matches($@"(?m)^  {verb}\s+\S", stdout);
        }

        (exit, stdout, stderr) = await ApiCommands.RunAsync(["rollups", "verify", "--help"], Unreachable);
        Assert.Equal(CommandExit.Ok, exit);
        Assert.Equal("", stderr);
        Assert.Matches(@"--app <id>\s+verify only this app", stdout);
    }

    [Theory]
    [InlineData("seed", "Option '--scale' is required.")]
    [InlineData("seed --scale", "Required argument missing for option: '--scale'.")]
    [InlineData("seed --scale zero", "--scale must be a number in (0, 1000], got 'zero'.")]
    [InlineData("seed --scale 0", "--scale must be a number in (0, 1000], got '0'.")]
    [InlineData("seed --scale -1", "--scale must be a number in (0, 1000], got '-1'.")]
    [InlineData("seed --scale NaN", "--scale must be a number in (0, 1000], got 'NaN'.")]
    [InlineData("seed --scale 1001", "--scale must be a number in (0, 1000], got '1001'.")]
    [InlineData("seed --scale 1 --bogus", "Unrecognized command or argument '--bogus'.")]
    [InlineData("rollups", "Required command was not provided.")]
    [InlineData("rollups instal", "Unrecognized command or argument 'instal'.")]
    [InlineData("rollups verify --app nope", "--app needs an app id (a UUID), got 'nope'.")]
    [InlineData("rollups status --app 3f2c0d4e-8a61-4c8e-9d7b-1a2b3c4d5e6f", "Unrecognized command or argument '--app'.")]
    public async Task A_refused_command_line_exits_2_with_the_error_and_the_help_on_stderr(string commandLine, string error)
    {
        var (exit, stdout, stderr) = await ApiCommands.RunAsync(commandLine.Split(' '), Unreachable);

        Assert.Equal(CommandExit.Usage, exit);
        Assert.Equal("", stdout);
        Assert.Contains(error + Environment.NewLine, stderr);
        Assert.Contains("Usage:", stderr);
    }

    [Fact]
    public async Task A_command_without_an_option_runs_with_its_default()
    {
        var database = await infrastructure.Postgres.CreateDatabaseAsync();

        var (exit, stdout, stderr) = await ApiCommands.RunAsync(["rollups", "status"], database);

        Assert.True(exit == CommandExit.Ok, stderr);
        Assert.Equal("rollups: not installed" + Environment.NewLine, stdout);
    }
}
