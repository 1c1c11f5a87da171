import "./registerElements";
import "./chat.css";
import {ChatApp} from "./chat/ChatApp";

const root = document.getElementById("belle-chat");
if (root == null) throw new Error("the chat HTML lacks #belle-chat");
new ChatApp(root, acquireVsCodeApi()).start();
