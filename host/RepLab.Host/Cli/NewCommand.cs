using System.CommandLine;
using System.Diagnostics;
using RepLab.Config;

namespace RepLab.Host.Cli;

/// <summary>
/// <c>replab new KIND NAME</c>: installs the plugin templates that travel with the CLI (a folder
/// <c>templates/</c> beside replab.dll, staged there by templates/RepLab.Templates.csproj; one folder per
/// kind and <c>common/</c>, which their template.json files name as a second source) into <c>dotnet new</c>
/// and makes a plugin project from one: the same as <c>dotnet new install</c> of the
/// template pack, then <c>dotnet new replab-KIND -n NAME</c>.
/// </summary>
internal static class NewCommand
{
    /// <summary>Where the templates are: beside the CLI, one folder per kind.</summary>
    internal static string TemplatesFolder => Path.Combine(AppContext.BaseDirectory, "templates");

    public static Command Create(Option<bool> verbose)
    {
        var kind = new Argument<string>("kind") { Description = "method, encoder, dataset, augmentation, evaluator or callback" };
        var name = new Argument<string>("name") { Description = "The plugin's project name in PascalCase (its plugin name is the kebab-case form: MyMethod -> my-method)" };
        var output = new Option<DirectoryInfo?>("--output", "-o") { Description = "Folder to create (default: ./NAME)" };
        var command = new Command("new", "Make a plugin project (class, options, example experiment, tests) from a template") { kind, name, output };
        command.SetAction(r => CliGuard.Run(r.GetValue(verbose), () =>
            Create(r.GetValue(kind)!, r.GetValue(name)!, r.GetValue(output)?.FullName ?? Path.GetFullPath(r.GetValue(name)!))));
        return command;
    }

    private static int Create(string kind, string name, string output)
    {
        // A kind is a folder with a template in it (common/ holds what they share).
        var kinds = Directory.Exists(TemplatesFolder)
            ? Directory.GetDirectories(TemplatesFolder).Where(d => Directory.Exists(Path.Combine(d, ".template.config"))).Select(Path.GetFileName).OfType<string>().Order().ToList()
            : [];
        if (kinds.Count == 0) throw new DirectoryNotFoundException($"no templates beside the CLI ({TemplatesFolder}): build the checkout (./replab build) or reinstall the tool");
        if (!kinds.Contains(kind))
            throw new ArgumentException($"new: unknown kind '{kind}'{DidYouMean.Hint(kind, kinds)}; kinds: {string.Join(", ", kinds)}");
        if (!System.Text.RegularExpressions.Regex.IsMatch(name, "^[A-Z][A-Za-z0-9]*$"))
            throw new ArgumentException($"new: the name '{name}' is not a PascalCase identifier (e.g. BarlowTwins): it names the project, the namespace and the classes");
        if (Directory.Exists(output) && Directory.EnumerateFileSystemEntries(output).Any())
            throw new ArgumentException($"new: {output} exists and is not empty: choose another name or --output");
        Dotnet("new", "install", TemplatesFolder, "--force");
        Dotnet("new", $"replab-{kind}", "-n", name, "-o", output);
        var experiment = Directory.EnumerateFiles(Path.Combine(output, "experiments"), "*.yaml").Select(f => Path.GetRelativePath(output, f)).FirstOrDefault();
        Console.WriteLine($"""
            replab: made {output}
              cd {Path.GetRelativePath(Environment.CurrentDirectory, output)}
              dotnet test                     # its tests and the conformance checks (needs REPLAB_FEED: see nuget.config)
              replab run {experiment}
            """);
        return 0;
    }

    private static void Dotnet(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start dotnet");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new ArgumentException($"new: `dotnet {string.Join(' ', args)}` failed (exit {p.ExitCode}): {(stderr + stdout.Result).Trim()}");
    }
}
