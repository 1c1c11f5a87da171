import assert from "node:assert/strict";
import {execFileSync, spawnSync} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import koffi, {type TypeObject} from "koffi";
import {llamaStructs} from "../../server/train/llama/llamaStructs";
import {repoRoot} from "../support/startEngineProcess";

/**
 * The trainer passes llama.h structs by value through koffi, so a field out of place corrupts memory silently.
 * This compiles a tiny C program against the header of the llama.cpp that node-llama-cpp pins (its
 * gitRelease.bundle) and compares every size and offset: the compiler applies the real ABI rules, which a header
 * parser would have to re-implement. A field added inside trailing padding keeps every size and offset, so the
 * member names are also compared with the header's declarations.
 */
describe("train: llama.cpp struct layout for the FFI", function () {
    let headerDirectory: string;
    let cLayout: Record<string, number>;

    before(function () {
        this.timeout(60_000);
        // The check compiles the pinned llama.h; .ci/run installs build-essential
        assert.equal(spawnSync("cc", ["--version"]).status, 0, "no C compiler (cc) to lay out llama.h's structs: install build-essential");

        headerDirectory = fs.mkdtempSync(path.join(os.tmpdir(), "belle-llama-headers-"));
        const bundle = path.join(repoRoot, "node_modules", "node-llama-cpp", "llama", "gitRelease.bundle");
        const gitDirectory = path.join(headerDirectory, "repo.git");
        execFileSync("git", ["init", "-q", "--bare", gitDirectory]);
        execFileSync("git", ["-C", gitDirectory, "fetch", "-q", bundle, "HEAD"]);
        const archive = execFileSync("git", ["-C", gitDirectory, "archive", "FETCH_HEAD", "include", "ggml/include"], {maxBuffer: 64 << 20});
        execFileSync("tar", ["-x", "-C", headerDirectory], {input: archive});

        const lines: string[] = [];
        for (const [structName, type] of Object.entries(llamaStructs)) {
            lines.push(`printf("\\"${structName}\\": %zu,\\n", sizeof(struct ${structName}));`);
            for (const member of memberPaths(type)) {
                lines.push(`printf("\\"${structName}.${member}\\": %zu,\\n", offsetof(struct ${structName}, ${member}));`);
                lines.push(`printf("\\"${structName}.${member} size\\": %zu,\\n", sizeof(((struct ${structName} *) 0)->${member}));`);
            }
        }
        const source = `#include <stddef.h>\n#include <stdio.h>\n#include "llama.h"\n#include "ggml-opt.h"\n` +
            `int main(void) {\nprintf("{\\n");\n${lines.join("\n")}\nprintf("\\"end\\": 0}\\n");\nreturn 0;\n}\n`;
        const sourcePath = path.join(headerDirectory, "layout.c");
        const programPath = path.join(headerDirectory, "layout");
        fs.writeFileSync(sourcePath, source);
        execFileSync("cc", ["-std=c11", "-I", path.join(headerDirectory, "include"), "-I", path.join(headerDirectory, "ggml", "include"),
            sourcePath, "-o", programPath]);
        cLayout = JSON.parse(execFileSync(programPath, {encoding: "utf8"})) as Record<string, number>;
    });
    after(() => {
        if (headerDirectory != null) fs.rmSync(headerDirectory, {recursive: true, force: true});
    });

    for (const [structName, type] of Object.entries(llamaStructs)) {
        it(`declares ${structName} with the C size and every member at its C offset and size`, () => {
            const koffiLayout: Record<string, number> = {[structName]: koffi.sizeof(type)};
            for (const [member, offset, size] of memberOffsets(type)) {
                koffiLayout[`${structName}.${member}`] = offset;
                koffiLayout[`${structName}.${member} size`] = size;
            }
            const expected = Object.fromEntries(Object.entries(cLayout).filter(([key]) => key === structName || key.startsWith(`${structName}.`)));
            assert.deepEqual(koffiLayout, expected);
        });
    }

    for (const structName of ["llama_model_params", "llama_context_params", "llama_opt_params", "llama_batch"] as const) {
        it(`declares the members of ${structName} that llama.h declares, in its order`, () => {
            const header = fs.readFileSync(path.join(headerDirectory, "include", "llama.h"), "utf8");
            const body = new RegExp(`struct ${structName} \\{([^}]*)\\}`).exec(header)?.[1];
            assert.ok(body != null, `struct ${structName} not found in llama.h`);
            const declared = body.replace(/\/\/.*$/gm, "").split(";").map((declaration) => /(\w+)\s*$/.exec(declaration.trim())?.[1])
                .filter((name): name is string => name != null);
            assert.deepEqual(Object.keys(koffi.type(llamaStructs[structName]).members!), declared);
        });
    }
});

type KoffiRecord = {size: number, members?: Record<string, {offset: number, type: KoffiRecord}>};

/** "a" for a plain member, "a.b" for a member of a nested struct: offsetof() takes both. */
function memberPaths(type: TypeObject): string[] {
    return memberOffsets(type).map(([member]) => member);
}

/** [member path, offset, size] of every member, nested ones included. */
function memberOffsets(type: TypeObject, prefix = "", base = 0): [string, number, number][] {
    const record = koffi.type(type) as unknown as KoffiRecord;
    const entries: [string, number, number][] = [];
    for (const [name, member] of Object.entries(record.members ?? {})) {
        entries.push([prefix + name, base + member.offset, member.type.size]);
        if (member.type.members != null)
            entries.push(...memberOffsets(member.type as unknown as TypeObject, `${prefix}${name}.`, base + member.offset));
    }
    return entries;
}
