import Foundation
import PipelineEngine
import CLISupport

/// Top-level dispatch: `--help`, `--version`, then one registered command.
public enum CommandLineTool {
    public static func main(_ argv: [String]) -> Int32 {
        guard let first = argv.first else {
            printHelp(to: &standardError)
            return 2
        }
        switch first {
        case "--help", "-h", "help":
            // `trellis help run` is `trellis run --help`.
            if argv.count > 1 { return main(Array(argv.dropFirst()) + ["--help"]) }
            printHelp(to: &standardOutput)
            return 0
        case "--version", "-V", "version":
            print("trellis \(trellisVersion)")
            return 0
        default:
            break
        }
        guard let command = allCommands.first(where: { $0.name == first }) else {
            var message = "trellis: unknown command '\(first)'"
            if let near = closestMatch(first, in: allCommands.map { $0.name }) {
                message += "; did you mean '\(near)'?"
            }
            print(message + " (see trellis --help)", to: &standardError)
            return 2
        }
        var args = Arguments(Array(argv.dropFirst()))
        if args.flag("help") || args.flag("h") {
            // `trellis bench X --help` is that benchmark's help.
            if command.name == BenchCommand.name, let which = args.subcommand() {
                do { print(try BenchCommand.usage(of: which)) } catch {
                    print("trellis bench: \(error) (see trellis bench --help)", to: &standardError)
                    return 2
                }
                return 0
            }
            print(command.usage)
            return 0
        }
        do {
            try command.run(&args)
            return 0
        } catch let error as ExitStatus {
            return error.code
        } catch let error as ArgumentError {
            print("trellis \(command.name): \(error) (see trellis \(command.name) --help)", to: &standardError)
            return 2
        } catch {
            print("trellis \(command.name): \(FoundationErrorText.describe(error))", to: &standardError)
            return 1
        }
    }

    static func printHelp<T: TextOutputStream>(to out: inout T) {
        var text = """
        trellis \(trellisVersion) — a batch pipeline runner for protein language models and few-shot fake-news detection

        USAGE: trellis <command> [options]        (trellis <command> --help for details)

        COMMANDS:

        """
        let width = (allCommands.map { $0.name.count }.max() ?? 8) + 2
        for c in allCommands {
            text += "  " + c.name.padding(toLength: width, withPad: " ", startingAt: 0) + c.summary + "\n"
        }
        text += "\nOPTIONS:\n  --help          show this help (trellis help COMMAND: that command\'s help)\n  -V, --version   print the version\n"
        print(text, terminator: "", to: &out)
    }
}

