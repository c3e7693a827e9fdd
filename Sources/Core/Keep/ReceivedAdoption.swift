/// Fds that did not come from a backend — received from a keeper or over
/// SCM_RIGHTS — identified by the same handlers as an adoption.
extension Adoption {
    /// The adoption of `file` by the first handler that takes it; nil when
    /// none does (FileKind.describe(file) says what it is).
    public static func identify(_ file: AdoptedFile, handlers: HandlerRegistry) -> Adoption? {
        handlers.handler(for: file).map { Adoption(file: file, handler: $0) }
    }
}
