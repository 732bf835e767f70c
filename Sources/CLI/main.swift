import Foundation

// Entry point: dispatch the first argument to a registered command.
exit(CommandLineTool.main(Array(CommandLine.arguments.dropFirst())))
