import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import type {Conversation, ConversationSettings, ConversationSummary} from "../../webview/protocol/chatProtocol";

const titleLength = 40;

/**
 * Conversations of this user, one JSON file each under the extension's global storage. Every write goes to a
 * temporary file first and is renamed over the old one, so a crash never leaves half a conversation.
 */
export class ConversationStore {
    private readonly _dirPath: string;
    private readonly _cache = new Map<string, Conversation>();
    private _writeQueue: Promise<void> = Promise.resolve();

    public constructor(globalStoragePath: string) {
        this._dirPath = path.join(globalStoragePath, "conversations");
    }

    public create(settings: ConversationSettings): Conversation {
        const now = Date.now();
        const conversation: Conversation = {
            id: `${now.toString(36)}-${crypto.randomBytes(4).toString("hex")}`,
            title: "",
            createdAt: now,
            updatedAt: now,
            turns: [],
            settings: {...settings}
        };
        this._cache.set(conversation.id, conversation);
        return conversation;
    }

    public async get(id: string): Promise<Conversation | undefined> {
        if (!isValidId(id)) return undefined;
        const cached = this._cache.get(id);
        if (cached != null) return cached;
        try {
            const conversation = JSON.parse(await fs.readFile(this._filePath(id), "utf8")) as Conversation;
            this._cache.set(id, conversation);
            return conversation;
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
            throw error;
        }
    }

    /** Saves the conversation as it is now; saves are serialised so an older state never lands after a newer one. */
    public save(conversation: Conversation): Promise<void> {
        conversation.updatedAt = Date.now();
        if (conversation.title === "") conversation.title = deriveTitle(conversation);
        this._cache.set(conversation.id, conversation);
        const json = JSON.stringify(conversation);
        const write = this._writeQueue.then(async () => {
            await fs.mkdir(this._dirPath, {recursive: true});
            const filePath = this._filePath(conversation.id);
            const tempPath = `${filePath}.${process.pid}.tmp`;
            await fs.writeFile(tempPath, json, "utf8");
            await fs.rename(tempPath, filePath);
        });
        this._writeQueue = write.catch(() => undefined);
        return write;
    }

    public async delete(id: string): Promise<void> {
        if (!isValidId(id)) return;
        this._cache.delete(id);
        await this._writeQueue;
        await fs.rm(this._filePath(id), {force: true});
    }

    /** Newest first; `query` matches the title and the text of every turn, case-insensitively. */
    public async list(query = ""): Promise<ConversationSummary[]> {
        await this._writeQueue;
        let names: string[];
        try {
            names = await fs.readdir(this._dirPath);
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
            throw error;
        }
        const needle = query.trim().toLocaleLowerCase();
        const conversations = await Promise.all(names
            .filter((name) => name.endsWith(".json"))
            .map((name) => this.get(name.slice(0, -".json".length)).catch(() => undefined)));
        return conversations
            .filter((conversation): conversation is Conversation => conversation != null && conversation.turns.length > 0)
            .filter((conversation) => needle === "" || matches(conversation, needle))
            .sort((a, b) => b.updatedAt - a.updatedAt)
            .map((conversation) => ({
                id: conversation.id,
                title: conversation.title,
                updatedAt: conversation.updatedAt,
                turnCount: conversation.turns.length
            }));
    }

    private _filePath(id: string): string {
        return path.join(this._dirPath, `${id}.json`);
    }
}

function isValidId(id: string): boolean {
    return /^[a-z0-9-]{1,64}$/.test(id);
}

function deriveTitle(conversation: Conversation): string {
    const firstUserTurn = conversation.turns.find((turn) => turn.role === "user");
    if (firstUserTurn == null) return "";
    const text = firstUserTurn.content.replace(/\s+/g, " ").trim();
    const characters = Array.from(text); // by code point: never cut an emoji or a surrogate pair in half
    return characters.length > titleLength ? `${characters.slice(0, titleLength).join("")}…` : text;
}

function matches(conversation: Conversation, needle: string): boolean {
    return conversation.title.toLocaleLowerCase().includes(needle) ||
        conversation.turns.some((turn) => turn.content.toLocaleLowerCase().includes(needle));
}
